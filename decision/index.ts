// The decision system of docs/scenario.md: pure functions over plain data, no I/O.
export * from './actions.js';
export * from './impact.js';
export * from './goal.js';
export * from './candidates.js';
export * from './scoring.js';
export * from './choose.js';
export * from './feedback.js';
export * from './consistency.js';
export * from './decide.js';
export * from './convergence.js';
export * from './scale.js';
