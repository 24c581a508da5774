/**
 * The host's UDP counters (Linux /proc/net/snmp), read before and after the
 * window: when the server runs on the same machine, datagrams the kernel
 * dropped because a socket's receive buffer was full (RcvbufErrors) explain
 * packets the server never counted, or that never reached a participant.
 * System-wide counters: other traffic on the machine is included.
 */
import { readFile } from 'node:fs/promises';

export interface UdpCounters {
  inDatagrams: number;
  inErrors: number;
  rcvbufErrors: number;
  sndbufErrors: number;
}

/** Parses the `Udp:` header and value lines of /proc/net/snmp. */
export function parseSnmpUdp(text: string): UdpCounters | null {
  const lines = text.split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/).slice(1);
  const values = lines[1]?.split(/\s+/).slice(1).map(Number);
  if (names === undefined || values === undefined) return null;
  const get = (n: string): number => {
    const v = values[names.indexOf(n)];
    return v !== undefined && Number.isFinite(v) ? v : 0;
  };
  return {
    inDatagrams: get('InDatagrams'),
    inErrors: get('InErrors'),
    rcvbufErrors: get('RcvbufErrors'),
    sndbufErrors: get('SndbufErrors'),
  };
}

/** The counters now, or null where there is no /proc/net/snmp. */
export async function readUdpCounters(): Promise<UdpCounters | null> {
  try {
    return parseSnmpUdp(await readFile('/proc/net/snmp', 'utf8'));
  } catch {
    return null;
  }
}

export function udpDelta(before: UdpCounters | null, after: UdpCounters | null): UdpCounters | null {
  if (before === null || after === null) return null;
  return {
    inDatagrams: after.inDatagrams - before.inDatagrams,
    inErrors: after.inErrors - before.inErrors,
    rcvbufErrors: after.rcvbufErrors - before.rcvbufErrors,
    sndbufErrors: after.sndbufErrors - before.sndbufErrors,
  };
}
