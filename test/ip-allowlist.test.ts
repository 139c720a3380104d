import { serve, type HttpBindings } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeClientIp } from "../dev/client-ip.js";
import { createNodeServices } from "../dev/services.js";
import { parseTrustProxy } from "../lib/client-address.js";
import { allowlistStampKey } from "../lib/network/allowlist.js";
import { inRanges, parseCidr } from "../lib/network/cidr.js";
import { browser, signIn } from "./support/people-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// IP allow-lists: a workspace's keys answer only from its ranges, before anything else;
// the address is only what the deployment's trusted proxy says; no change locks out its maker.
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

const from = (ip: string | undefined, key: string, path = "/v1/workspace", init: RequestInit = {}) =>
  Promise.resolve(stack.app.fetch(new Request(`http://sandesh.test${path}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...(init.headers as Record<string, string>) } }), { services: stack.services, ...(ip ? { ip } : {}) }));
const put = (ip: string, key: string, ranges: string[]) => from(ip, key, "/v1/workspace/ip-allowlist", { method: "PUT", body: JSON.stringify({ ranges }) });

describe("CIDR ranges", () => {
  it("parse IPv4 and IPv6 (host bits cleared) and match, IPv4-mapped IPv6 as IPv4", () => {
    expect(parseCidr("203.0.113.77/24")!.text).toBe("203.0.113.0/24");
    expect(parseCidr("2001:DB8:1::9/48")!.text).toBe("2001:db8:1::/48");
    expect(parseCidr("198.51.100.1")!.text).toBe("198.51.100.1/32");
    for (const bad of ["10.0.0.0/33", "2001:db8::/129", "10.0.0.0/8/1", "example.com", "10.0.0.0/-1", "", "1.2.3.4/ 8"]) expect(parseCidr(bad)).toBeNull();
    const r = ["10.0.0.0/8", "2001:db8::/32"].map((x) => parseCidr(x)!);
    expect(inRanges("10.255.0.1", r)).toBe(true);
    expect(inRanges("::ffff:10.1.2.3", r)).toBe(true);
    expect(inRanges("11.0.0.1", r)).toBe(false);
    expect(inRanges("2001:db8:ffff::1", r)).toBe(true);
    expect(inRanges("2001:db9::1", r)).toBe(false);
    expect(inRanges(undefined, r)).toBe(false);
    expect(inRanges("0.0.0.0", [parseCidr("0.0.0.0/0")!])).toBe(true);
  });
});

describe("the allow-list on /v1", () => {
  it("IPv4 and IPv6: outside the ranges is 403 ip_not_allowed in the error shape, before any work; inside answers", async () => {
    const t = await stack.tenant();
    expect((await put("203.0.113.7", t.key, ["203.0.113.0/24", "2001:db8:1::/48"])).status).toBe(200);
    const refused = await from("198.51.100.9", t.key);
    expect(refused.status).toBe(403);
    const body = await refused.json();
    expect(body.error.code).toBe("ip_not_allowed");
    expect(typeof body.error.request_id).toBe("string");
    expect((await from("203.0.113.200", t.key)).status).toBe(200);
    expect((await from("2001:db8:1:2::5", t.key)).status).toBe(200);
    expect((await from("::ffff:203.0.113.9", t.key)).status).toBe(200);
    expect((await from("2001:db8:2::1", t.key)).status).toBe(403);
    expect((await from(undefined, t.key)).status).toBe(403); // no address known: not in any range
    // Refused before the body is read: a send from outside writes nothing.
    const send = await from("198.51.100.9", t.key, "/v1/messages", { method: "POST", body: "{not json" });
    expect(send.status).toBe(403);
    // Another workspace without a list is untouched.
    const other = await stack.tenant();
    expect((await from("198.51.100.9", other.key)).status).toBe(200);
  });

  it("a list that would lock out the caller is refused with 422 naming why; the list is unchanged", async () => {
    const t = await stack.tenant();
    const res = await put("203.0.113.7", t.key, ["198.51.100.0/24"]);
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error.code).toBe("allowlist_excludes_caller");
    expect(body.error.message).toContain("203.0.113.7");
    const bad = await put("203.0.113.7", t.key, ["203.0.113.0/24", "not-a-range"]);
    expect(bad.status).toBe(422);
    expect((await bad.json()).error.details).toEqual([{ field: "ranges.1", message: "is not an IPv4 or IPv6 address or CIDR range" }]);
    const got = await from("198.51.100.9", t.key, "/v1/workspace/ip-allowlist");
    expect(await got.json()).toEqual({ ranges: [] });
    // Emptying the list is always allowed (it admits everyone).
    expect((await put("203.0.113.7", t.key, ["203.0.113.7"])).status).toBe(200);
    expect(await (await put("203.0.113.7", t.key, [])).json()).toEqual({ ranges: [] });
    expect((await from("198.51.100.9", t.key)).status).toBe(200);
  });

  it("a change reaches another process at once (the Redis stamp), its cache notwithstanding", async () => {
    const t = await stack.tenant();
    const other = createNodeServices(stack.config, { logger: stack.services.logger, dbMax: 2 });
    try {
      const viaOther = () => Promise.resolve(stack.app.fetch(new Request("http://sandesh.test/v1/workspace", { headers: { authorization: `Bearer ${t.key}` } }), { services: other, ip: "198.51.100.9" }));
      expect((await viaOther()).status).toBe(200); // cached: no list
      expect((await put("203.0.113.7", t.key, ["203.0.113.0/24"])).status).toBe(200);
      expect((await viaOther()).status).toBe(403);
      expect((await put("203.0.113.7", t.key, [])).status).toBe(200);
      expect((await viaOther()).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe("the client address is only what the deployment trusts", () => {
  async function nodeServer(trust: string) {
    const tp = parseTrustProxy(trust)!;
    return new Promise<{ url: string; close(): Promise<void> }>((resolve) => {
      const server = serve(
        { fetch: (req, env) => stack.app.fetch(req, { services: stack.services, ...nodeClientIp(tp, (env as HttpBindings).incoming) }), port: 0, hostname: "127.0.0.1" },
        (info: AddressInfo) => resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise<void>((r) => server.close(() => r())) }),
      );
    });
  }

  it("spoofed X-Forwarded-For and CF-Connecting-IP do not pass in Node (TRUST_PROXY none, or one hop)", async () => {
    const t = await stack.tenant();
    await stack.owner`update workspaces set ip_allowlist = '{198.51.100.0/24}' where id = ${t.workspaceId}`;
    const direct = await nodeServer("none");
    const oneHop = await nodeServer("1");
    try {
      const get = (url: string, headers: Record<string, string>) => fetch(`${url}/v1/workspace`, { headers: { authorization: `Bearer ${t.key}`, ...headers } });
      // No proxy is trusted: the socket (127.0.0.1) is the address, whatever the headers say.
      expect((await get(direct.url, { "x-forwarded-for": "198.51.100.9" })).status).toBe(403);
      expect((await get(direct.url, { "cf-connecting-ip": "198.51.100.9" })).status).toBe(403);
      // One proxy of ours: only its entry (the rightmost) counts; what the client put before it does not.
      expect((await get(oneHop.url, { "x-forwarded-for": "198.51.100.9, 127.0.0.5" })).status).toBe(403);
      expect((await get(oneHop.url, { "cf-connecting-ip": "198.51.100.9" })).status).toBe(403);
      expect((await get(oneHop.url, { "x-forwarded-for": "127.0.0.9, 198.51.100.9" })).status).toBe(200);
    } finally {
      await direct.close();
      await oneHop.close();
    }
  });
});

describe("the allow-list on dashboard sessions", () => {
  it("a signed-in member outside the ranges gets 403 ip_not_allowed; inside, the session answers", async () => {
    const who = await signIn(stack);
    const session = (ip: string) =>
      Promise.resolve(stack.app.fetch(new Request("http://sandesh.test/app/auth/session", { headers: browser(stack, who) }), { services: stack.services, ip }));
    expect((await session("198.51.100.9")).status).toBe(200);
    await stack.owner`update workspaces set ip_allowlist = '{2001:db8:7::/48}' where id = ${who.workspaceId}`;
    await stack.services.redis.set(allowlistStampKey(who.workspaceId), crypto.randomUUID()); // as a change through the API does
    const refused = await session("198.51.100.9");
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.code).toBe("ip_not_allowed");
    expect((await session("2001:db8:7::42")).status).toBe(200);
  });
});
