/**
 * Every toxic type the embedded server knows, one line each. Adding a toxic: its file
 * toxics/<type>.ts exporting a ToxicDefinition, and its line here; registry.ts finds it.
 */
export { latency } from './latency.js';
export { bandwidth } from './bandwidth.js';
export { slowClose } from './slow_close.js';
export { timeout } from './timeout.js';
export { resetPeer } from './reset_peer.js';
export { limitData } from './limit_data.js';
export { slicer } from './slicer.js';
