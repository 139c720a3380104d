import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHUNK } from "../lib/ingest/number-batch.js";
import { BACKLOG_TTL_S, expireStatusBacklog } from "../lib/jobs/sweep.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";
import { connectTestNumber } from "./support/senders.js";
import { envelope, sign, statusValue } from "./support/meta-payloads.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

describe("what one delivery may hold of the database", () => {
  it("20,000 statuses in one signed delivery are all applied, with a bounded number of locks per transaction", async () => {
    // The shared server runs with the default max_locks_per_transaction (64): one lock per
    // wamid in a single transaction would exhaust the cluster's lock table (53200).
    const [setting] = await stack.owner`show max_locks_per_transaction`;
    expect(Number(setting!.max_locks_per_transaction)).toBeLessThan(20_000 / 100);
    const t = await stack.tenant();
    const n = await connectTestNumber(stack, t.workspaceId);
    const N = 20_000;
    const prefix = `wamid.bulk${Date.now()}.`;
    await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, wamid)
      select gen_random_uuid(), ${t.workspaceId}, ${n.id}, 'outbound', '919876543210', 'text', '{}', 'sent', ${prefix} || i from generate_series(1, ${N}) i`;
    const statuses = Array.from({ length: N }, (_, i) => ({ id: `${prefix}${i + 1}`, status: "delivered", timestamp: "1790000000", recipient_id: "919876543210" }));
    const body = JSON.stringify(envelope(n.phone_number_id, { statuses }));

    let settled = false;
    const res = stack.request("/webhooks/meta", { method: "POST", body, headers: { "x-hub-signature-256": sign(TEST_SECRETS.META_APP_SECRET, body) } }).finally(() => (settled = true));
    // Sampled while the delivery runs: the most advisory locks any one backend of this database holds.
    let most = 0;
    while (!settled) {
      const [r] = await stack.owner`select coalesce(max(c), 0)::int as n from (select count(*) as c from pg_locks l join pg_database d on d.oid = l.database
        where d.datname = current_database() and l.locktype = 'advisory' group by l.pid) x`;
      most = Math.max(most, r!.n);
      // pg_locks is costly to read: sample, rather than slow the delivery under test.
      await new Promise((done) => setTimeout(done, 100));
    }
    expect((await res).status).toBe(200);
    expect(most).toBeLessThanOrEqual(CHUNK);
    const [done] = await stack.owner`select count(*)::int as n from messages where workspace_id = ${t.workspaceId} and status = 'delivered'`;
    expect(done!.n).toBe(N);
    const [events] = await stack.owner`select count(*)::int as n from message_events where workspace_id = ${t.workspaceId}`;
    expect(events!.n).toBe(N);
  }, 120_000);
});

describe("the status backlog is bounded in time", () => {
  it("the sweep deletes backlogged statuses older than 7 days and keeps younger ones", async () => {
    const t = await stack.tenant();
    const n = await connectTestNumber(stack, t.workspaceId);
    const [old, young] = [`wamid.old${Date.now()}`, `wamid.young${Date.now()}`];
    for (const w of [old, young]) {
      const body = JSON.stringify(envelope(n.phone_number_id, statusValue(w, "read", 1_790_000_000)));
      expect((await stack.request("/webhooks/meta", { method: "POST", body, headers: { "x-hub-signature-256": sign(TEST_SECRETS.META_APP_SECRET, body) } })).status).toBe(200);
    }
    await stack.owner`update status_backlog set created_at = now() - make_interval(secs => ${BACKLOG_TTL_S + 60}) where wamid = ${old}`;
    await stack.owner`update status_backlog set created_at = now() - interval '6 days' where wamid = ${young}`;
    expect(await expireStatusBacklog(stack.services)).toBe(1);
    const left = await stack.owner`select wamid from status_backlog where wamid in (${old}, ${young})`;
    expect(left.map((r) => r.wamid)).toEqual([young]);
  });
});
