import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalQStash, type LocalQStash } from "../dev/qstash/server.js";
import { createBroadcast } from "../lib/broadcasts/create.js";
import { PAGE_SIZE } from "../lib/broadcasts/page.js";
import { runBroadcast } from "../lib/broadcasts/run.js";
import { createQStashQueue } from "../lib/queue/qstash.js";
import { broadcastTenant, seedContacts, TEMPLATE } from "./support/broadcast-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

/**
 * With a queue outside the database (QStash), a page's jobs are published by the run after
 * its commit. The run overlaps two pages (lib/broadcasts/run.ts): every page it starts
 * must be taken in turn and its jobs published, however the pages' reads and locks
 * interleave. Deliveries go nowhere here (nothing serves PUBLIC_URL): the test counts what
 * the run hands to QStash, not what is sent.
 */
let stack: TestStack;
let qstash: LocalQStash;
beforeAll(async () => {
  qstash = await startLocalQStash({ backoff: () => 60_000 });
  stack = await createTestStack({ PUBLIC_URL: "http://127.0.0.1:9", ...qstash.env() });
  stack.services.queue = createQStashQueue({ token: qstash.token, baseUrl: qstash.url, publicUrl: "http://127.0.0.1:9", retries: 1 });
});
afterAll(async () => {
  await stack.close();
  await qstash.close();
});

const OPERATOR = { actorType: "operator" as const, actorId: "test" };

describe("a broadcast run over several pages, on QStash", () => {
  it("publishes one send job for every message of every page", async () => {
    const published: string[] = [];
    qstash.events.on("published", (e: { url: string; body: string }) => {
      if (e.url.endsWith("/jobs/send")) published.push((JSON.parse(e.body) as { messageId: string }).messageId);
    });
    const t = await broadcastTenant(stack, null);
    const total = 3 * PAGE_SIZE + 400;
    await seedContacts(stack.owner, t.workspaceId, total, { tag: "overlap" });
    const b = await createBroadcast(stack.services, t.workspaceId, { name: "overlap", from: t.number.phone_number_id, template: TEMPLATE, audience: { tag: "overlap" } }, OPERATOR);
    await runBroadcast(stack.services, { workspaceId: t.workspaceId, broadcastId: b.id });
    const ids = (await stack.owner<{ id: string }[]>`select id from messages where broadcast_id = ${b.id}`).map((r) => r.id);
    expect(ids).toHaveLength(total);
    expect(new Set(published).size).toBe(published.length);
    expect(new Set(published)).toEqual(new Set(ids));
  });
});
