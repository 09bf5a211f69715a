export { startCanary, CANARY_CANDIDATES, DEFAULT_CANARY_EVERY_MS, DEFAULT_CANARY_RUNS, MIN_CANARY_EVERY_MS } from './startCanary';
export type { Canary, CanaryEvents, StartCanaryOptions } from './startCanary';
export type { CanaryRound, CanaryCpu, CanaryBackendResult } from './canaryRound';
export type { CanaryBackendRatio } from '../stats/canaryRatio';
