import { nothingToRepair } from './choice.js';
import type { Strategy } from './types.js';

/** `random`: a uniformly random candidate other than NA (NA when there is none, or nothing to repair); on a stream app an S{n}. */
export const random: Strategy = (i) => {
  if (nothingToRepair(i)) return 'NA';
  const acts = i.candidates.filter((c) => c.action.type !== 'none');
  if (acts.length === 0) return 'NA';
  return { chosen: acts[i.rng.int(acts.length)].label, explored: true };
};
