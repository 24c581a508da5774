/** @parley/server — the Parley control plane and media relay. */
export { buildServer, SERVER_VERSION, DEFAULT_CHANNEL } from './app.js';
export type { ParleyServer, ListenInfo, BuildOptions } from './app.js';
export { loadConfig, finalizeConfig, DEFAULT_CONFIG, ConfigError } from './config.js';
export type { ParleyConfig, ConfigOverrides } from './config.js';
export { MediaPlane } from './media/plane.js';
export { numericLookup } from './media/udp-shell.js';
export { MediaRouter, type RouteOutcome, type PacketSource } from './media/router.js';
export { DROP_REASONS, type DropReason, type MediaStatsSnapshot } from './media/stats.js';
