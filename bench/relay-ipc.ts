/** The IPC between bench/relay.ts (the driver) and bench/relay-child.ts (the relay under test). */
import type { Cipher } from '@parley/protocol';

/** Parley's media plane, or a bare `dgram` forwarder (no crypto, no routing). */
export type RelayMode = 'parley' | 'bare';
/** The relay's cipher, or none for the bare forwarder. */
export type RelayCipher = Cipher | 'none';

/** Driver → relay. */
export type RelayCommand =
  { cmd: 'setup'; listeners: number[] } | { cmd: 'start' } | { cmd: 'stop' } | { cmd: 'exit' };

/** The relay's counters over the measured part. */
export interface RelayStats {
  cpuUs: number;
  userUs: number;
  systemUs: number;
  packetsIn: number;
  packetsOut: number;
  drops?: number;
}

/** Relay → driver, one per command. */
export type RelayReply =
  | { ready: true; port: number; speaker?: { ssrc: number; key: string } }
  | { started: true }
  | ({ stopped: true } & RelayStats);
