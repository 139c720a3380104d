import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectTestNumber, setLimits } from "./support/senders.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// When Redis has forgotten an idempotency key (eviction, failover), the messages table
// decides whether a request is the same one: by a hash of the request, not by what
// was sent to Meta, which leaves out Sandesh's own fields.

let stack: TestStack;
let raw: Redis;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
  raw = new Redis("redis://127.0.0.1:6379");
});
afterAll(async () => {
  raw.disconnect();
  await stack.close();
});

async function sender() {
  const t = await stack.tenant();
  await setLimits(stack, t.workspaceId, { apiKey: { limit: 1000, periodMs: 1000 }, ip: { limit: 1000, periodMs: 1000 }, workspace: { limit: 1000, periodMs: 1000 } });
  await connectTestNumber(stack, t.workspaceId);
  const send = (body: string, key: string) =>
    stack.request("/v1/messages", { method: "POST", body, headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json", "idempotency-key": key } });
  /** Redis loses every idempotency record of the workspace. */
  const forget = async () => {
    const found = await raw.keys(`${stack.config.redis.prefix}{w:${t.workspaceId}}:idem:*`);
    expect(found.length).toBeGreaterThan(0);
    await raw.del(...found);
  };
  const count = async () => Number((await stack.owner`select count(*)::int as n from messages where workspace_id = ${t.workspaceId}`)[0]!.n);
  return { ...t, send, forget, count };
}

const template = (category: string) =>
  JSON.stringify({ to: "919855500011", type: "template", template: { name: "order_update", language: { code: "en_US" }, category } });

describe("the idempotency backstop compares the request", () => {
  it("after Redis forgets a key, the same key with another template.category is 422 idempotency_key_reused, not a replay", async () => {
    const s = await sender();
    expect((await s.send(template("UTILITY"), "cat-1")).status).toBe(202);
    await s.forget();
    const other = await s.send(template("MARKETING"), "cat-1");
    expect(other.status).toBe(422);
    expect((await other.json()).error.code).toBe("idempotency_key_reused");
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(await s.count()).toBe(1);
  });

  it("after Redis forgets a key, the same key and the same request (fields in any order) replay the first message", async () => {
    const s = await sender();
    const first = await s.send(template("UTILITY"), "cat-2");
    const { id } = await first.json();
    await s.forget();
    const reordered = JSON.stringify({ type: "template", template: { category: "UTILITY", language: { code: "en_US" }, name: "order_update" }, to: "919855500011" });
    const again = await s.send(reordered, "cat-2");
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await again.json()).id).toBe(id);
    expect(await s.count()).toBe(1);
  });

  it("the request's hash is stored with the message", async () => {
    const s = await sender();
    const { id } = await (await s.send(template("UTILITY"), "cat-3")).json();
    const [row] = await stack.owner`select request_hash from messages where id = ${id}`;
    expect(row!.request_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a message written before request hashes were stored is still compared by its payload", async () => {
    const s = await sender();
    const { id } = await (await s.send(template("UTILITY"), "cat-4")).json();
    await stack.owner`update messages set request_hash = null where id = ${id}`;
    await s.forget();
    const again = await s.send(template("UTILITY"), "cat-4");
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await again.json()).id).toBe(id);
  });
});
