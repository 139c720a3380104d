import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revokeApiKey } from "../lib/apikeys/manage.js";
import { createNodeServices } from "../dev/services.js";
import { createTestStack, type TestStack } from "./support/stack.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

describe("API keys", () => {
  it("a key reaches its own workspace at GET /v1/workspace", async () => {
    const t = await stack.tenant("Acme");
    const res = await stack.request("/v1/workspace", bearer(t.key));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({ id: t.workspaceId, name: expect.stringMatching(/^Acme /), created_at: expect.any(String) });
  });

  it("keys are sk_ + 43 base62 characters and only their SHA-256 is stored", async () => {
    const t = await stack.tenant();
    expect(t.key).toMatch(/^sk_[0-9A-Za-z]{43}$/);
    const rows = await stack.owner`select key_hash, prefix from api_keys where id = ${t.keyId}`;
    const { createHash } = await import("node:crypto");
    expect(rows[0]!.key_hash).toBe(createHash("sha256").update(t.key).digest("hex"));
    expect(t.key.startsWith(rows[0]!.prefix)).toBe(true);
    const dump = JSON.stringify(await stack.owner`select * from api_keys`);
    expect(dump).not.toContain(t.key);
  });

  it.each([
    ["missing", undefined],
    ["not a bearer", "Basic abc"],
    ["malformed", "Bearer sk_short"],
    ["unknown", `Bearer sk_${"A".repeat(43)}`],
  ])("a %s key is refused with 401 in the error shape", async (_, header) => {
    const res = await stack.request("/v1/workspace", header ? { headers: { authorization: header } } : {});
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body.error.code).toBe("unauthorized");
    expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
  });

  it("revocation from another process takes effect on the very next request", async () => {
    const t = await stack.tenant();
    // Warm the cache, so a stale cache would be the only thing that could still let it in.
    expect((await stack.request("/v1/workspace", bearer(t.key))).status).toBe(200);
    expect((await stack.request("/v1/workspace", bearer(t.key))).status).toBe(200);
    const other = createNodeServices(stack.config); // a second process: its own pool and Redis connection
    try {
      await revokeApiKey(other, t.workspaceId, t.keyId, { actorType: "operator" });
    } finally {
      await other.close();
    }
    const res = await stack.request("/v1/workspace", bearer(t.key));
    expect(res.status).toBe(401);
    expect((await res.json()).error.message).toMatch(/revoked/);
  });

  it("a look-up racing a revocation cannot put the key back in the cache", async () => {
    const t = await stack.tenant();
    const attempts = Array.from({ length: 20 }, () => stack.request("/v1/workspace", bearer(t.key)));
    await revokeApiKey(stack.services, t.workspaceId, t.keyId, { actorType: "operator" });
    await Promise.all(attempts);
    expect((await stack.request("/v1/workspace", bearer(t.key))).status).toBe(401);
  });

  it("creating and revoking keys are in the audit log", async () => {
    const t = await stack.tenant();
    await revokeApiKey(stack.services, t.workspaceId, t.keyId, { actorType: "operator", actorId: "ops" });
    const rows = await stack.owner`select action from audit_log where workspace_id = ${t.workspaceId} order by id`;
    expect(rows.map((r) => r.action)).toEqual(["workspace.created", "api_key.created", "api_key.revoked"]);
  });
});

describe("guessing keys", () => {
  it("an address that keeps presenting unknown keys is refused with 429 before any look-up", async () => {
    const guess = () => `Bearer sk_${Array.from({ length: 43 }, () => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[Math.floor(Math.random() * 62)]).join("")}`;
    const fromAttacker = (h: string) => Promise.resolve(stack.app.fetch(new Request("http://sandesh.test/v1/workspace", { headers: { authorization: h } }), { services: stack.services, ip: "198.51.100.66" }));
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++) statuses.push((await fromAttacker(guess())).status);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
    // Another address is unaffected, and a valid key still works from anywhere.
    const t = await stack.tenant();
    expect((await stack.request("/v1/workspace", bearer(t.key))).status).toBe(200);
  });
});

describe("reads are rate-limited too", () => {
  it("a key over its request rate gets 429 with Retry-After on read routes, in a bucket separate from sending", async () => {
    const t = await stack.tenant();
    await stack.owner`update workspaces set settings = ${stack.owner.json({ limits: { apiKey: { limit: 3, periodMs: 60_000 } } } as never)} where id = ${t.workspaceId}`;
    stack.services.caches.apiKeys.clear();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await stack.request("/v1/workspace", bearer(t.key))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const res = await stack.request("/v1/messages?limit=1", bearer(t.key));
    expect(res.status).toBe(429);
    expect((await res.json()).error.code).toBe("rate_limited_api_key");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });
});
