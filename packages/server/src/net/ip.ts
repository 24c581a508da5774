/**
 * Client addresses in one form, and address ranges (CIDR) for bans.
 * `::ffff:127.0.0.78` (an IPv4 client of a dual-stack socket) is
 * `127.0.0.78`; IPv6 is written in Node's canonical form.
 */
import { BlockList, isIP } from 'node:net';

const MAPPED_V4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;
/** The WHATWG URL parser's canonical form of a mapped address: `::ffff:7f00:4e`. */
const MAPPED_V4_HEX = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/** The canonical form of an address; anything that is not an address is returned trimmed and lower-cased. */
export function normalizeIp(raw: string): string {
  const s = raw.trim().toLowerCase();
  const mapped = MAPPED_V4.exec(s);
  if (mapped?.[1] !== undefined && isIP(mapped[1]) === 4) return mapped[1];
  if (isIP(s) === 6) {
    // RFC 5952 form (lower case, longest zero run compressed), as the URL parser writes it.
    const canonical = new URL(`http://[${s}]/`).hostname.slice(1, -1);
    const hex = MAPPED_V4_HEX.exec(canonical);
    if (hex?.[1] === undefined || hex[2] === undefined) return canonical;
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return s;
}

/** An address or a CIDR range (`10.0.0.0/8`, `2001:db8::/32`), normalized; undefined when it is neither. */
export function normalizeIpOrCidr(raw: string): string | undefined {
  const [addr = '', bits, ...rest] = raw.trim().split('/');
  if (rest.length > 0) return undefined;
  const ip = normalizeIp(addr);
  const family = isIP(ip);
  if (family === 0) return undefined;
  if (bits === undefined) return ip;
  if (!/^\d{1,3}$/.test(bits)) return undefined;
  // A mapped IPv4 address with an IPv6 prefix length: ::ffff:10.0.0.0/104 = 10.0.0.0/8.
  const mappedV4 = family === 4 && isIP(addr.trim()) === 6;
  const prefix = Number(bits) - (mappedV4 ? 96 : 0);
  if (prefix < 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  return `${ip}/${prefix}`;
}

/** Whether `ip` is `entry` (an address) or falls in it (a CIDR range); both normalized first. */
export function ipMatches(entry: string, ip: string): boolean {
  const e = normalizeIpOrCidr(entry);
  const a = normalizeIp(ip);
  const family = isIP(a);
  if (e === undefined || family === 0) return false;
  const [net = '', bits] = e.split('/');
  if (bits === undefined) return net === a;
  const list = new BlockList();
  const netFamily = isIP(net) === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(net, Number(bits), netFamily);
  return list.check(a, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The key under which per-address limits count a client (UDP sources,
 * TCP connections, guest joins): an IPv4 address itself, an IPv6
 * address's /64. One subscriber usually gets a whole /64 and a host can use
 * any of its 2^64 addresses, so counting IPv6 addresses one by one would
 * let one host fill any table and have a fresh allowance per packet.
 * Cheap (no URL parsing: it runs per packet from an unvalidated source);
 * an IPv4-mapped IPv6 address counts as its IPv4 address; anything else
 * is returned as it is.
 */
export function limitKey(address: string): string {
  if (!address.includes(':')) return address;
  const zone = address.indexOf('%');
  const a = (zone >= 0 ? address.slice(0, zone) : address).toLowerCase();
  const mapped = MAPPED_V4.exec(a);
  if (mapped?.[1] !== undefined) return mapped[1];
  const halves = a.split('::');
  if (halves.length > 2) return a;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  // An embedded IPv4 address at the end stands for two groups.
  const tailLength = tail.length + (tail.at(-1)?.includes('.') === true ? 1 : 0);
  const zeros = halves.length === 2 ? Math.max(0, 8 - head.length - tailLength) : 0;
  const all = [...head, ...Array<string>(zeros).fill('0'), ...tail];
  const prefix = all.slice(0, 4).map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16).toString(16) : g));
  while (prefix.length < 4) prefix.push('0');
  return `${prefix.join(':')}::/64`;
}
