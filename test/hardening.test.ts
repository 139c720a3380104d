import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loginRoleProblems } from "../db/role-check.js";
import { createDatabase } from "../db/client.js";
import { networkFailure } from "../lib/meta/errors.js";
import { createLogger } from "../lib/logger.js";
import { connectTestNumber, setLimits } from "./support/senders.js";
import { envelope, sign, statusValue } from "./support/meta-payloads.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
});
afterAll(() => stack.close());

async function sender() {
  const t = await stack.tenant();
  await setLimits(stack, t.workspaceId, { apiKey: { limit: 1000, periodMs: 1000 }, ip: { limit: 1000, periodMs: 1000 }, workspace: { limit: 1000, periodMs: 1000 } });
  const n = await connectTestNumber(stack, t.workspaceId);
  const send = (body: unknown, key?: string) =>
    stack.request("/v1/messages", { method: "POST", body: JSON.stringify(body), headers: { authorization: `Bearer ${t.key}`, ...(key ? { "idempotency-key": key } : {}) } });
  return { ...t, number: n, send };
}
const utility = (to: string, name = "order_update") => ({ to, type: "template", template: { name, language: { code: "en_US" }, category: "UTILITY" } });

describe("never pay twice", () => {
  it("the database holds the idempotency key even when Redis has forgotten it", async () => {
    const s = await sender();
    const first = await s.send(utility("919855500001"), "db-backstop");
    expect(first.status).toBe(202);
    const { id } = await first.json();
    // Redis loses the record (eviction, failover): the table still answers.
    const { Redis } = await import("ioredis");
    const raw = new Redis("redis://127.0.0.1:6379");
    const found = await raw.keys(`${stack.config.redis.prefix}{w:${s.workspaceId}}:idem:*`);
    expect(found.length).toBe(1);
    await raw.del(...found);
    raw.disconnect();
    const again = await s.send(utility("919855500001"), "db-backstop");
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await again.json()).id).toBe(id);
    expect((await stack.owner`select count(*)::int as n from messages where workspace_id = ${s.workspaceId}`)[0]!.n).toBe(1);
  });

  it("a timeout or a dropped connection is not retried; a refused connection is", () => {
    const timeout = Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" });
    expect(networkFailure(timeout)).toMatchObject({ retryable: false, title: expect.stringMatching(/outcome unknown/) });
    expect(networkFailure(Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } })).retryable).toBe(false);
    expect(networkFailure(Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } })).retryable).toBe(true);
  });
});

describe("edges", () => {
  it("Meta's webhook may be larger than the API's 64 KiB limit", async () => {
    const s = await sender();
    const statuses = Array.from({ length: 600 }, (_, i) => statusValue(`wamid.big${i}`, "delivered", 1_790_000_000).statuses[0]);
    const body = JSON.stringify(envelope(s.number.phone_number_id, { statuses }));
    expect(body.length).toBeGreaterThan(64 * 1024);
    const res = await stack.request("/webhooks/meta", { method: "POST", body, headers: { "x-hub-signature-256": sign(TEST_SECRETS.META_APP_SECRET, body) } });
    expect(res.status).toBe(200);
  });

  it("API responses are never cached", async () => {
    const s = await sender();
    const res = await stack.request("/v1/workspace", { headers: { authorization: `Bearer ${s.key}` } });
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("a failed query is logged without its parameters", () => {
    const lines: string[] = [];
    const err = Object.assign(new Error('Failed query: insert into messages ... params: 919812345678,"secret order 42"'), {
      query: "insert into messages ...",
      params: ["919812345678", "secret order 42"],
      cause: { code: "23505", message: "duplicate key value violates unique constraint" },
    });
    createLogger("debug", (l) => lines.push(l)).error("write failed", { error: err });
    expect(lines[0]).toContain("23505");
    expect(lines[0]).not.toContain("secret order 42");
    expect(lines[0]).not.toContain("919812345678");
  });
});

describe("the login role", () => {
  it("the application's own login has no power beyond sandesh_app; the owner's is reported", async () => {
    expect(await loginRoleProblems(stack.services.db)).toEqual([]);
    const owner = createDatabase(stack.config.migrationDatabaseUrl, { max: 1 });
    try {
      expect((await loginRoleProblems(owner.db)).join("; ")).toMatch(/superuser/);
    } finally {
      await owner.close();
    }
  });
});
