import { canonicalIp, v6Groups } from "../client-address.js";

/**
 * CIDR ranges (IPv4 and IPv6) as 128-bit prefixes, pure and Web-standard, so the Worker
 * and the Node process match alike. An IPv4 address is matched as its IPv4-mapped IPv6
 * form (::ffff:a.b.c.d), so 10.0.0.0/8 and ::ffff:10.0.0.0/104 are the same range and an
 * IPv4 client reported on a dual-stack socket matches IPv4 ranges.
 */
export interface Cidr {
  /** The canonical text: the network address and prefix, host bits cleared. */
  text: string;
  bits: bigint;
  prefix: number;
}

function toBits(ip: string): bigint | null {
  const canon = canonicalIp(ip);
  if (!canon) return null;
  if (!canon.includes(":")) {
    const [a, b, c, d] = canon.split(".").map(Number) as [number, number, number, number];
    return (0xffffn << 32n) | BigInt(((a << 24) >>> 0) + (b << 16) + (c << 8) + d);
  }
  const g = v6Groups(canon);
  return g ? g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n) : null;
}

const mask = (prefix: number) => (prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n));

/** `a.b.c.d/n` (0–32), `x::y/n` (0–128), or a bare address (one host); null when it is none of those. */
export function parseCidr(value: string): Cidr | null {
  const [addr, len, extra] = value.trim().split("/");
  if (extra !== undefined || !addr) return null;
  const bits = toBits(addr);
  if (bits === null) return null;
  const v4 = !canonicalIp(addr)!.includes(":");
  const max = v4 ? 32 : 128;
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return null;
  const n = len === undefined ? max : Number(len);
  if (n > max) return null;
  const prefix = v4 ? n + 96 : n;
  const net = bits & mask(prefix);
  const base = v4 ? ipv4Text(net) : canonicalIp(v6Text(net))!;
  return { text: `${base}/${n}`, bits: net, prefix };
}

const ipv4Text = (b: bigint) => [24n, 16n, 8n, 0n].map((s) => Number((b >> s) & 255n)).join(".");
const v6Text = (b: bigint) => Array.from({ length: 8 }, (_, i) => Number((b >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(":");

/** Whether the address lies in any of the ranges. An address that does not parse is in none. */
export function inRanges(ip: string | undefined, ranges: readonly Cidr[]): boolean {
  const bits = ip ? toBits(ip) : null;
  if (bits === null) return false;
  return ranges.some((r) => (bits & mask(r.prefix)) === r.bits);
}
