import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../db/client.js";
import { resolveSender } from "../lib/messages/sender.js";
import { eventually } from "./support/eventually.js";
import { connectTestNumber } from "./support/senders.js";
import { createTestStack, type TestStack } from "./support/stack.js";

/**
 * The reads a send waits on have connections of their own: Meta's status webhooks, the
 * send jobs and the sweeps, which share the main pool, cannot queue an accept behind them
 * (measured in bench/stalls.ts); and concurrent misses of a workspace's sender cache
 * share one load instead of one each.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
});
afterAll(() => stack.close());

const utility = (to: string) => JSON.stringify({ to, type: "template", template: { name: "order_update", language: { code: "en_US" }, category: "UTILITY" } });

describe("the accept path's database reads", () => {
  it("are answered while every connection of the shared pool is held longer than their deadline", async () => {
    const t = await stack.tenant();
    await connectTestNumber(stack, t.workspaceId);
    // Every connection of the shared pool (4 in tests) busy for 6 s, past the 5 s deadline of a read queued behind it.
    const held = Array.from({ length: 4 }, () => stack.services.db.execute(sql`select pg_sleep(6), 'held' as held`).then(() => undefined));
    try {
      await eventually(
        async () => (await stack.owner<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database() and query like '%pg_sleep(6), ''held''%' and state = 'active' and pid <> pg_backend_pid()`)[0]!.n,
        (n) => n >= 4,
        5000,
      );
      const res = await stack.request("/v1/messages", { method: "POST", body: utility("919876500011"), headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json", "idempotency-key": "iso-1" } });
      expect(res.status, await res.clone().text()).toBe(202);
    } finally {
      await Promise.all(held);
    }
  });

  it("share one sender load among concurrent requests of a workspace", async () => {
    const t = await stack.tenant();
    await connectTestNumber(stack, t.workspaceId);
    const real = stack.services.requestDb!;
    let transactions = 0;
    stack.services.requestDb = new Proxy(real, {
      get: (target, prop, receiver) => (prop === "transaction" ? (...a: Parameters<Db["transaction"]>) => (transactions++, target.transaction(...a)) : Reflect.get(target, prop, receiver)),
    });
    try {
      stack.services.caches.senders.delete(t.workspaceId);
      const senders = await Promise.all(Array.from({ length: 20 }, () => resolveSender(stack.services, t.workspaceId, undefined)));
      expect(new Set(senders.map((x) => x.id)).size).toBe(1);
      expect(transactions).toBe(1);
    } finally {
      stack.services.requestDb = real;
    }
  });
});
