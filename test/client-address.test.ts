import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import type { IncomingMessage } from "node:http";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addressBucket, canonicalIp, clientAddress, parseTrustProxy, type TrustProxy } from "../lib/client-address.js";
import { parseConfig } from "../lib/config.js";
import { nodeClientIp } from "../dev/client-ip.js";
import { createTestStack, type TestStack } from "./support/stack.js";
import { REDIS_URL } from "./support/servers.js";

const CORPUS = [
  "1.2.3.4", "255.255.255.255", "0.0.0.0", "01.2.3.4", "256.1.1.1", "1.2.3", "1.2.3.4.5", "::", "::1", "1::", "2001:db8::1",
  "2001:0DB8:0000:0000:0000:0000:0000:0001", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1::2::3", "::ffff:1.2.3.4", "::1.2.3.4",
  "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "gggg::1", ":1", "1:", "::ffff:1.2.3", "unknown", "localhost", "1.2.3.4/24",
  "' or 1=1 --", "a".repeat(8192), "{w:x}:rl", "",
];

describe("client addresses are real IP addresses", () => {
  it.each(CORPUS)("%j parses exactly when node:net's isIP accepts it", (s) => {
    expect(canonicalIp(s) !== null).toBe(isIP(s) !== 0);
  });

  it("one client has one name: case, leading zeros, compression and IPv4-mapped forms collapse", () => {
    expect(canonicalIp("2001:0DB8:0000:0000:0000:0000:0000:0001")).toBe("2001:db8::1");
    expect(canonicalIp("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonicalIp("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(canonicalIp("::ffff:cb00:7109")).toBe("203.0.113.9");
  });

  it("IPv6 is counted per /64, IPv4 per address", () => {
    expect(addressBucket("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("2001:db8:1:2:bbbb::9")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("203.0.113.9")).toBe("203.0.113.9");
  });

  const headers = (h: Record<string, string>) => (n: string) => h[n];
  const trust = (v: string) => parseTrustProxy(v)!;
  it.each<[string, TrustProxy, Record<string, string>, string | undefined]>([
    ["none: headers are ignored", trust("none"), { "x-forwarded-for": "1.1.1.1", "cf-connecting-ip": "2.2.2.2" }, "10.0.0.5"],
    ["one proxy: the entry it appended", trust("1"), { "x-forwarded-for": "6.6.6.6, 1.1.1.1" }, "1.1.1.1"],
    ["two proxies: the entry the outer one appended", trust("2"), { "x-forwarded-for": "6.6.6.6, 1.1.1.1, 10.0.0.2" }, "1.1.1.1"],
    ["two proxies, shorter chain: the leftmost", trust("2"), { "x-forwarded-for": "1.1.1.1" }, "1.1.1.1"],
    ["one proxy, no header: the socket", trust("1"), {}, "10.0.0.5"],
    ["one proxy, junk in the trusted entry: the socket", trust("1"), { "x-forwarded-for": `1.1.1.1, ${"x".repeat(8000)}` }, "10.0.0.5"],
    ["cloudflare: CF-Connecting-IP", trust("cloudflare"), { "cf-connecting-ip": "2001:DB8::7", "x-forwarded-for": "6.6.6.6" }, "2001:db8::7"],
    ["cloudflare, junk header: the socket", trust("cloudflare"), { "cf-connecting-ip": "evil" }, "10.0.0.5"],
  ])("%s", (_, t, h, want) => {
    expect(clientAddress(t, "::ffff:10.0.0.5", headers(h))).toBe(want);
  });

  it("in a Worker (no socket) an absent or invalid header gives no address at all", () => {
    expect(clientAddress(trust("cloudflare"), undefined, headers({ "cf-connecting-ip": "nope" }))).toBeUndefined();
  });
});

describe("TRUST_PROXY", () => {
  const secret = () => randomBytes(32).toString("base64url");
  const VALID = { DATABASE_URL: "postgres://u@h:5432/d", REDIS_URL: "redis://127.0.0.1:6379", MASTER_KEK: secret(), META_APP_SECRET: secret(), META_VERIFY_TOKEN: secret() };
  const PROD = { ...VALID, SANDESH_ENV: "production", PUBLIC_URL: "https://sandesh.example.com" };
  it("production refuses to start without it, in one line", () => {
    const r = parseConfig(PROD);
    expect(!r.ok && r.problems).toEqual([expect.stringMatching(/^TRUST_PROXY: is required in production.*\(example: TRUST_PROXY=none \| 1 \| cloudflare\)$/)]);
  });
  it.each([["none", { kind: "none" }], ["2", { kind: "hops", hops: 2 }], ["cloudflare", { kind: "cloudflare" }]])("%s is accepted", (v, want) => {
    const r = parseConfig({ ...PROD, TRUST_PROXY: v });
    expect(r.ok && r.config.trustProxy).toEqual(want);
  });
  it("a malformed value is refused, and outside production the default is none", () => {
    const r = parseConfig({ ...VALID, TRUST_PROXY: "1 " + "x" });
    expect(!r.ok && r.problems[0]).toMatch(/^TRUST_PROXY: must be none, a number of proxies/);
    const d = parseConfig(VALID);
    expect(d.ok && d.config.trustProxy).toEqual({ kind: "none" });
  });
});

describe("the Node process names Redis keys only after real addresses", () => {
  let stack: TestStack;
  let raw: Redis;
  let server: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    stack = await createTestStack();
    raw = new Redis(REDIS_URL);
    const t = parseTrustProxy("1")!;
    server = await new Promise((resolve) => {
      const s = serve({ fetch: (req, env) => stack.app.fetch(req, { services: stack.services, ...nodeClientIp(t, (env as { incoming?: IncomingMessage }).incoming) }), port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
        resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise<void>((r) => s.close(() => r())) }),
      );
    });
  });
  afterAll(async () => {
    await server.close();
    raw.disconnect();
    await stack.close();
  });

  it("behind one proxy an 8 KB X-Forwarded-For is ignored; a real entry names the address", async () => {
    const unknownKey = `Bearer sk_${"Z".repeat(43)}`;
    const junk = await fetch(`${server.url}/v1/workspace`, { headers: { authorization: unknownKey, "x-forwarded-for": "y".repeat(8000) } });
    expect(junk.status).toBe(401);
    const real = await fetch(`${server.url}/v1/workspace`, { headers: { authorization: `Bearer sk_${"Y".repeat(43)}`, "x-forwarded-for": "6.6.6.6, 198.51.100.77" } });
    expect(real.status).toBe(401);
    const keys = (await raw.keys(`${stack.config.redis.prefix}authfail:*`)).map((k) => k.slice(stack.config.redis.prefix.length)).sort();
    expect(keys).toEqual(["authfail:127.0.0.1", "authfail:198.51.100.77"]);
  });
});
