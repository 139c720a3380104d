/**
 * Who is on the other end: the client address as the deployment can know it, and only
 * ever a real IP address. Pure, so the Worker and the Node process share it (workerd's
 * node:net has no isIP). The address names rate-limit and throttle keys in Redis, so a
 * header value that does not parse as an address is ignored, never used as a name.
 *
 * TRUST_PROXY says what stands in front:
 *   none        clients connect directly: the socket's address, headers ignored
 *   <N>         N proxies of ours in front, each appending to X-Forwarded-For: the entry
 *               N from the right (what the outermost of them saw); entries to its left
 *               are the client's to invent
 *   cloudflare  Cloudflare in front: CF-Connecting-IP, which Cloudflare sets itself
 */
export type TrustProxy = { kind: "none" } | { kind: "cloudflare" } | { kind: "hops"; hops: number };

export function parseTrustProxy(value: string): TrustProxy | undefined {
  if (value === "none") return { kind: "none" };
  if (value === "cloudflare") return { kind: "cloudflare" };
  if (/^[1-9]$/.test(value)) return { kind: "hops", hops: Number(value) };
  return undefined;
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail allowed), or null. */
export function v6Groups(s: string): number[] | null {
  if (s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(":")) return null;
  if (s.includes(".")) {
    // ::ffff:192.0.2.1 → ::ffff:c000:201: the dotted tail is the last two groups.
    const at = s.lastIndexOf(":");
    const v4 = s.slice(at + 1);
    if (!V4.test(v4)) return null;
    const o = v4.split(".").map(Number);
    s = `${s.slice(0, at + 1)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const part = (h: string) => (h === "" ? [] : h.split(":"));
  const head = part(halves[0]!);
  const rest = halves.length === 2 ? part(halves[1]!) : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const explicit = head.length + rest.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return null;
  const zeros = halves.length === 2 ? new Array<number>(8 - explicit).fill(0) : [];
  return [...head, ...zeros.map(String), ...rest].map((g) => parseInt(g, 16));
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups as "::". */
function v6Text(g: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) (best = i), (bestLen = j - i);
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/**
 * The canonical text of an IP address, or null when the value is not one. IPv4-mapped
 * IPv6 (::ffff:a.b.c.d, as Node reports IPv4 clients on a dual-stack socket) becomes
 * the IPv4 address, so one client has one name.
 */
export function canonicalIp(value: string | undefined | null): string | null {
  if (!value) return null;
  const s = value.trim();
  if (V4.test(s)) return s;
  const g = v6Groups(s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1) : s);
  if (!g) return null;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  return v6Text(g);
}

/**
 * What a per-address limit counts: the address itself for IPv4, its /64 for IPv6 (one
 * subscriber gets a whole /64, so counting single IPv6 addresses would count nothing).
 */
export function addressBucket(ip: string): string {
  const g = ip.includes(":") ? v6Groups(ip) : null;
  return g ? `${v6Text([...g.slice(0, 4), 0, 0, 0, 0])}/64` : ip;
}

/** Considered of X-Forwarded-For: no deployment has more proxies than this. */
const MAX_FORWARDED = 20;

/** The client address for this request, or undefined when nothing trustworthy names one. */
export function clientAddress(trust: TrustProxy, socketAddress: string | undefined, header: (name: string) => string | undefined | null): string | undefined {
  const socket = canonicalIp(socketAddress) ?? undefined;
  if (trust.kind === "none") return socket;
  if (trust.kind === "cloudflare") return canonicalIp(header("cf-connecting-ip")) ?? socket;
  const forwarded = header("x-forwarded-for");
  if (!forwarded) return socket;
  const entries = forwarded.split(",").slice(-MAX_FORWARDED);
  // Fewer entries than proxies: the leftmost was written by the outermost proxy.
  const pick = entries[Math.max(0, entries.length - trust.hops)];
  return canonicalIp(pick) ?? socket;
}
