import { isIPv4, isIPv6 } from 'node:net';

/** An address as a number: 32 bits for IPv4, 128 for IPv6. */
export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

/** A network: an address and how many leading bits must match. */
export interface Cidr extends IpAddress {
  prefix: number;
  /** As written by the administrator (trimmed). */
  text: string;
}

function v4ToBigint(s: string): bigint {
  return s.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6ToBigint(s: string): bigint {
  let text = s;
  // An IPv4 tail (::ffff:10.0.0.1) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = v4ToBigint(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

const MAPPED_PREFIX = 0xffffn << 32n;

/**
 * Parses a client address; an IPv4 address mapped into IPv6 (`::ffff:10.0.0.1`, what a
 * dual-stack socket reports) counts as the IPv4 address. A zone (`%eth0`) is ignored.
 */
export function parseIp(text: string | null | undefined): IpAddress | null {
  if (!text) return null;
  const s = text.trim().replace(/%.*$/, '').replace(/^\[(.*)\]$/, '$1');
  if (isIPv4(s)) return { version: 4, value: v4ToBigint(s) };
  if (isIPv6(s)) {
    const value = v6ToBigint(s);
    if (value >> 32n === MAPPED_PREFIX >> 32n) return { version: 4, value: value & 0xffffffffn };
    return { version: 6, value };
  }
  return null;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a single address; returns the problem in words otherwise. */
export function parseCidr(text: string): Cidr | { error: string } {
  const s = text.trim();
  const [addr, prefixText, extra] = s.split('/');
  if (extra !== undefined) return { error: `"${s}" has more than one "/".` };
  const version = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (!version) return { error: `"${s}" is not an IPv4 or IPv6 address with an optional /prefix (like 10.0.0.0/8 or 2001:db8::/32).` };
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return { error: `"${s}": the prefix must be a number from 0 to ${max} for IPv${version}.` };
    prefix = Number(prefixText);
  }
  const value = version === 4 ? v4ToBigint(addr) : v6ToBigint(addr);
  return { version, value, prefix, text: s };
}

/** Whether `ip` lies inside `net`. */
export function cidrContains(net: Cidr, ip: IpAddress): boolean {
  if (net.version !== ip.version) return false;
  const bits = BigInt(net.version === 4 ? 32 : 128);
  const shift = bits - BigInt(net.prefix);
  return net.value >> shift === ip.value >> shift;
}

/**
 * Reads an allowlist (one network per line or separated by commas; `#` starts a comment).
 * Returns the networks, or every problem with its line number.
 */
export function parseAllowlist(text: string): { networks: Cidr[]; errors: string[] } {
  const networks: Cidr[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    for (const part of line.replace(/#.*$/, '').split(',')) {
      if (!part.trim()) continue;
      const r = parseCidr(part);
      if ('error' in r) errors.push(`Line ${i + 1}: ${r.error}`);
      else networks.push(r);
    }
  });
  return { networks, errors };
}

/** True when the address is inside one of the networks; an unknown address is inside none. */
export function allowlistContains(networks: Cidr[], ip: string | null | undefined): boolean {
  const parsed = parseIp(ip);
  return !!parsed && networks.some((n) => cidrContains(n, parsed));
}
