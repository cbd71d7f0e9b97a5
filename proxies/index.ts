export type { LatencyControl } from './latency-control.js';
export { proxyNameForApp } from './latency-control.js';
export { ToxiproxyLatencyControl, openLatencyControl, LATENCY_TOXIC, BANDWIDTH_TOXIC, UNREACHABLE_TOXIC } from './toxiproxy-control.js';
export { startProxyServer, EMBEDDED_VERSION } from './server/index.js';
export type { ProxyServerOptions, RunningProxyServer } from './server/index.js';
