import type { Config } from "../config.js";

/**
 * Which URLs an endpoint may point at. Sandesh POSTs to whatever a workspace registers,
 * from inside its own network, so an endpoint is a request the tenant makes with our
 * position (SSRF): outside development and test, addresses that are not the public
 * internet are refused — loopback, private, carrier-grade NAT, link-local (where
 * cloud metadata services answer), multicast and reserved ranges, unspecified, and the
 * obvious internal names. Plain http is for a developer's own machine only.
 *
 * A name is checked here only as written. What it resolves to is checked where the
 * runtime can: the Node process resolves it, refuses it if any address is not public
 * (isPublicAddress) and connects to the address it checked (./node-post.ts). A Worker's
 * fetch can neither resolve first nor pin the socket; there Cloudflare's fetch, which
 * does not reach the deployment's private networks, and the rule that unverified
 * answers are not shown back (./deliver.ts) are what stand. The literal check runs at
 * create, update and before every attempt; redirects are never followed.
 */
export type UrlVerdict = { ok: true; url: URL } | { ok: false; message: string };

const MAX_URL = 2048;

const INTERNAL_NAMES = new Set(["localhost", "metadata", "metadata.google.internal", "instance-data", "kubernetes.default"]);
const INTERNAL_SUFFIXES = [".localhost", ".internal", ".local", ".localdomain", ".home.arpa", ".svc", ".cluster.local"];

type Range = [bigint, number];
const v4 = (a: string, bits: number): Range => [ipv4ToBigInt(a)!, bits];
const v6 = (a: string, bits: number): Range => [ipv6ToBigInt(a)!, bits];

const V4_BLOCKED: Range[] = [
  v4("0.0.0.0", 8), // "this network", including 0.0.0.0
  v4("10.0.0.0", 8),
  v4("100.64.0.0", 10), // carrier-grade NAT
  v4("127.0.0.0", 8),
  v4("169.254.0.0", 16), // link-local: 169.254.169.254 is every cloud's metadata service
  v4("172.16.0.0", 12),
  v4("192.0.0.0", 24),
  v4("192.168.0.0", 16),
  v4("192.0.2.0", 24), // documentation (TEST-NET-1..3)
  v4("198.18.0.0", 15),
  v4("198.51.100.0", 24),
  v4("203.0.113.0", 24),
  v4("224.0.0.0", 4), // multicast
  v4("240.0.0.0", 4), // reserved, broadcast
];
const V6_BLOCKED: Range[] = [
  v6("::", 96), // unspecified, loopback and the deprecated IPv4-compatible form
  v6("::ffff:0:0", 96), // IPv4-mapped: never a real IPv6 destination, a way around the IPv4 list
  v6("::ffff:0:0:0", 96), // IPv4-translated (SIIT)
  v6("64:ff9b:1::", 48), // local-use NAT64: translates to whatever the operator's network holds
  v6("100::", 64), // discard-only
  v6("2001::", 32), // Teredo: tunnels to an embedded IPv4 address
  v6("2001:db8::", 32), // documentation
  v6("2002::", 16), // 6to4: tunnels to an embedded IPv4 address
  v6("fc00::", 7), // unique local
  v6("fe80::", 10), // link-local
  v6("fec0::", 10), // site-local (deprecated, still routed by some stacks)
  v6("ff00::", 8), // multicast
];
// Well-known NAT64: an IPv4 address written as IPv6 is that IPv4 address.
const V6_EMBEDDING_V4: Range[] = [v6("64:ff9b::", 96)];

function inRange(ip: bigint, [base, bits]: Range, width: number): boolean {
  const shift = BigInt(width - bits);
  return ip >> shift === base >> shift;
}

function ipv4ToBigInt(s: string): bigint | null {
  const parts = s.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function ipv6ToBigInt(s: string): bigint | null {
  let text = s.toLowerCase();
  // A trailing dotted IPv4 (::ffff:127.0.0.1) is two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const four = ipv4ToBigInt(dotted[2]!);
    if (four === null) return null;
    text = `${dotted[1]}${(four >> 16n).toString(16)}:${(four & 0xffffn).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function isBlockedV4(ip: bigint): boolean {
  return V4_BLOCKED.some((r) => inRange(ip, r, 32));
}

function isBlockedV6(ip: bigint): boolean {
  if (V6_BLOCKED.some((r) => inRange(ip, r, 128))) return true;
  return V6_EMBEDDING_V4.some((r) => inRange(ip, r, 128) && isBlockedV4(ip & 0xffffffffn));
}

/** Loopback only: where plain http is allowed outside production. */
function isLoopback(name: string): boolean {
  const host = name.replace(/\.+$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const four = ipv4ToBigInt(host);
  if (four !== null) return inRange(four, v4("127.0.0.0", 8), 32);
  const six = ipv6ToBigInt(host);
  return six !== null && (six === 1n || (inRange(six, v6("::ffff:0:0", 96), 128) && inRange(six & 0xffffffffn, v4("127.0.0.0", 8), 32)));
}

/** The host as a name or an address without brackets, lowercased. */
const hostOf = (u: URL) => u.hostname.replace(/^\[|\]$/g, "").toLowerCase();

/** A resolved address (what a socket connects to) is on the public internet. */
export function isPublicAddress(ip: string): boolean {
  const four = ipv4ToBigInt(ip);
  if (four !== null) return !isBlockedV4(four);
  const six = ipv6ToBigInt(ip);
  return six !== null && !isBlockedV6(six);
}

function isInternalHost(host: string): string | null {
  // "localhost." and "localhost.." are localhost to a resolver: no name gets to hide behind dots.
  if (host.endsWith(".") || host.includes("..")) return "a name with an empty label (a trailing or doubled dot)";
  const four = ipv4ToBigInt(host);
  if (four !== null) return isBlockedV4(four) ? "a private, loopback, link-local or reserved address" : null;
  const six = ipv6ToBigInt(host);
  if (six !== null) return isBlockedV6(six) ? "a private, loopback, link-local or reserved address" : null;
  if (INTERNAL_NAMES.has(host) || INTERNAL_SUFFIXES.some((s) => host.endsWith(s))) return "an internal host name";
  // A name without a dot resolves through the local search domain: another box on our network.
  if (!host.includes(".")) return "not a fully qualified public host name";
  return null;
}

/**
 * The one check, at create/update and before each attempt. The WHATWG parser has
 * already normalised the sneaky spellings (0x7f.1, 2130706433, [::ffff:127.0.0.1]).
 */
export function checkEndpointUrl(raw: string, env: Config["env"]): UrlVerdict {
  if (raw.length > MAX_URL) return { ok: false, message: `must be at most ${MAX_URL} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: "must be an absolute URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, message: "must be an https URL" };
  // Credentials in a URL end up in logs and proxies; the signature is the authentication.
  if (url.username || url.password) return { ok: false, message: "must not contain a user name or password" };
  const host = hostOf(url);
  const relaxed = env !== "production";
  if (url.protocol === "http:" && !(relaxed && isLoopback(host))) {
    return { ok: false, message: relaxed ? "must be an https URL (plain http only for loopback addresses in development)" : "must be an https URL" };
  }
  if (!relaxed) {
    const why = isInternalHost(host);
    if (why) return { ok: false, message: `must point at the public internet; ${host} is ${why}` };
  }
  url.hash = "";
  return { ok: true, url };
}
