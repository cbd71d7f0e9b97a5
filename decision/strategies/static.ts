import type { Strategy } from './types.js';

/** `static`: never acts, nor scales (the baseline of a system without self-adaptation). */
export const staticStrategy: Strategy = () => 'NA';
