export { startProxyServer, ProxyApi, EMBEDDED_VERSION, TOXIPROXY_API_VERSION } from './api.js';
export type { ProxyServerOptions, RunningProxyServer } from './api.js';
export { ApiError } from './errors.js';
