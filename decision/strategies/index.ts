// Strategies (docs/strategies.md): pure choices over what the app sees, by name or from a user's module.
export * from './types.js';
export * from './spec.js';
export * from './registry.js';
export * from './apply.js';
export * from './load.js';
export * from './stream.js';
