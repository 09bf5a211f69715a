export { startServe, DEFAULT_SERVE_HOST, DEFAULT_SERVE_PORT } from './startServe';
export type { ServeOptions, RunningServe } from './startServe';
export type { ServeCanaryOptions } from './serveCanary';
