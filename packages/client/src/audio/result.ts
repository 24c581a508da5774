/** The project's one Result type lives in @parley/protocol; re-exported here for the audio modules. */
export type { Result } from '@parley/protocol';
