import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTenant, withTenantSql } from "../db/tenant.js";
import { createBroadcast } from "../lib/broadcasts/create.js";
import { writePage } from "../lib/broadcasts/page.js";
import { listRecipients } from "../lib/broadcasts/recipients.js";
import { statusPage } from "../lib/broadcasts/status-page.js";
import { listContacts } from "../lib/contacts/list.js";
import type { Services } from "../lib/context.js";
import { encodeCursor } from "../lib/cursor.js";
import { claimBatch } from "../lib/jobs/claim.js";
import { listMessages } from "../lib/messages/read.js";
import { broadcastTenant, TEMPLATE } from "./support/broadcast-kit.js";
import { describeScans, planOf, recordingDb, scansOf, type Statement } from "./support/plan-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

/**
 * Plans that hold under row-level security and statistics a burst has made stale. A
 * keyset page's bound must bound its index scan (an Index Cond), or page k reads k pages;
 * a statement that names messages by id beside a status condition must reach them by
 * primary key, or the planner, told by statistics from before a burst that few messages
 * are queued, walks the status indexes through every queued message. Each plan is read
 * from the statement the real function sent, explained as the application role under the
 * tenant's scope.
 */
const ROWS = 20_000;
const ID_KEYS = ["messages_pkey", "messages_workspace_id_id_key"];
let stack: TestStack;
let rec: ReturnType<typeof recordingDb>;
let s: Services;
let t: Awaited<ReturnType<typeof broadcastTenant>>;
/** Broadcasts the burst belongs to. */
const running = randomUUID();
const paused = randomUUID();

beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
  rec = recordingDb(stack.config.databaseUrl);
  s = { ...stack.services, db: rec.db, bulkDb: rec.db };
  t = await broadcastTenant(stack, null);
  const o = stack.owner;
  // The statistics are the test's: only its ANALYZE writes them.
  for (const table of ["contacts", "messages", "broadcasts"]) await o.unsafe(`alter table ${table} set (autovacuum_enabled = false)`);
  await o`
    insert into contacts (workspace_id, wa_id, name, tags, marketing_opt_in_at, created_at)
    select ${t.workspaceId}, (919000000000 + i)::text, 'Asha', array['plans'], now(), now() - make_interval(secs => i)
    from generate_series(1, ${ROWS}) i`;
  await o`
    insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, created_at, updated_at)
    select gen_random_uuid(), ${t.workspaceId}, ${t.number.id}, 'outbound', (919000000000 + i)::text, 'text', '{}', 'delivered', now() - make_interval(secs => i), now()
    from generate_series(1, ${ROWS}) i`;
  // Statistics from before the burst: no message queued, sending or retrying.
  await o`analyze contacts, messages, broadcasts`;
  for (const [id, status] of [[running, "running"], [paused, "paused"]] as const) {
    await o`insert into broadcasts (id, workspace_id, whatsapp_number_id, name, template, audience, status, audience_done)
      values (${id}, ${t.workspaceId}, ${t.number.id}, ${status}, ${o.json(TEMPLATE)}, ${o.json({ tag: "plans" })}, ${status}, true)`;
  }
  // The burst, after the statistics: 20,000 queued, 5,000 in flight, 1,000 retrying.
  await o`
    insert into messages (id, workspace_id, whatsapp_number_id, broadcast_id, direction, recipient, type, payload, status, attempts, claimed_until, created_at, updated_at)
    select gen_random_uuid(), ${t.workspaceId}, ${t.number.id}, ${running}, 'outbound', (918000000000 + i)::text, 'template', '{}',
      case when i <= 5000 then 'sending' when i <= 6000 then 'retrying' else 'queued' end, case when i <= 6000 then 1 else 0 end,
      case when i <= 5000 then now() + interval '1 minute' when i <= 6000 then now() + interval '1 minute' end, now(), now()
    from generate_series(1, ${ROWS + 6000}) i`;
}, 120_000);
afterAll(async () => {
  await rec?.close();
  await stack?.close();
});

/** The statements the client sent while `fn` ran that read or write `table`. */
async function sentDuring(table: string, fn: () => Promise<unknown>): Promise<Statement[]> {
  const from = rec.statements.length;
  await fn();
  return rec.statements.slice(from).filter((st) => new RegExp(`\\b${table}\\b`).test(st.text) && !/^\s*(begin|commit|rollback)/i.test(st.text));
}

/** The scans of `table` in the statement's plan, each of which must hold the bound in its Index Cond. */
async function expectBoundInIndexCond(st: Statement, table: string, bound: RegExp) {
  const plan = await planOf(stack.owner, t.workspaceId, st);
  const scans = scansOf(plan, table);
  expect(scans.length, st.text).toBeGreaterThan(0);
  for (const n of scans) {
    expect(n["Index Cond"] ?? "", describeScans(plan, table)).toMatch(bound);
    expect(n.Filter ?? "", describeScans(plan, table)).not.toMatch(bound);
  }
}

describe("a keyset page's bound bounds its index scan under row-level security", () => {
  it("the broadcast audience page: id > the cursor the statement reads itself", async () => {
    const b = await createBroadcast(stack.services, t.workspaceId, { name: "plans", from: t.number.phone_number_id, template: TEMPLATE, audience: { tag: "plans" } }, { actorType: "operator", actorId: "test" });
    await writePage(s, t.workspaceId, b.id, { tag: "plans" }, true);
    const sent = await sentDuring("contacts", () => writePage(s, t.workspaceId, b.id, { tag: "plans" }, true));
    const page = sent.filter((st) => /from contacts/.test(st.text));
    expect(page).toHaveLength(1);
    await expectBoundInIndexCond(page[0]!, "contacts", /\bid > /);
  });

  it("the contacts list: (created_at, id) below the cursor", async () => {
    const [deep] = await stack.owner<{ created_at: Date; id: string }[]>`
      select created_at, id from contacts where workspace_id = ${t.workspaceId} order by created_at desc, id desc offset ${ROWS / 2} limit 1`;
    const cursor = encodeCursor(deep!.created_at, deep!.id);
    let page: Awaited<ReturnType<typeof listContacts>> | undefined;
    const sent = await sentDuring("contacts", async () => (page = await listContacts(s, t.workspaceId, { cursor, limit: "50" })));
    // The page itself is the one after the cursor.
    expect(page!.data).toHaveLength(50);
    expect(new Date(page!.data[0]!.created_at).getTime()).toBeLessThanOrEqual(deep!.created_at.getTime());
    expect(sent).toHaveLength(1);
    await expectBoundInIndexCond(sent[0]!, "contacts", /created_at/);
  });

  it("the messages list: (created_at, id) below the cursor, with and without a status", async () => {
    const [deep] = await stack.owner<{ created_at: Date; id: string }[]>`
      select created_at, id from messages where workspace_id = ${t.workspaceId} order by created_at desc, id desc offset ${ROWS / 2} limit 1`;
    const cursor = encodeCursor(deep!.created_at, deep!.id);
    for (const status of [undefined, "delivered"]) {
      const sent = await sentDuring("messages", () => listMessages(s, t.workspaceId, { cursor, limit: "50", status }));
      expect(sent).toHaveLength(1);
      await expectBoundInIndexCond(sent[0]!, "messages", /created_at/);
    }
  });
});

describe("a claim reaches its messages by primary key whatever the statistics say", () => {
  it("claimBatch's statements (claim, release, hold, lapse, in flight) scan messages by id only", async () => {
    const o = stack.owner;
    const one = async (broadcastId: string, status: string, claimedUntil: string) =>
      (await o<{ id: string }[]>`
        insert into messages (id, workspace_id, whatsapp_number_id, broadcast_id, direction, recipient, type, payload, status, attempts, claimed_until)
        values (gen_random_uuid(), ${t.workspaceId}, ${t.number.id}, ${broadcastId}, 'outbound', '917000000001', 'template', '{}', ${status}, 1, now() + ${claimedUntil}::interval)
        returning id`)[0]!.id;
    const released = await one(running, "sending", "-1 minute"); // lapsed, never posted: released, then claimed
    const lapsed = await one(running, "sending", "-1 minute"); // lapsed after its posting mark: failed, outcome unknown
    await o`insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key) values (${t.workspaceId}, ${lapsed}, 'sending', now(), ${`local:${lapsed}:sending:1`})`;
    const inFlight = await one(running, "sending", "1 minute"); // another worker's, in its lease
    const held = await one(paused, "retrying", "-1 minute"); // a paused broadcast's retry: held as queued
    const queued = await o<{ id: string }[]>`select id from messages where broadcast_id = ${running} and status = 'queued' limit 46`;
    const ids = [...queued.map((r) => r.id), released, lapsed, inFlight, held];

    let result: Awaited<ReturnType<typeof claimBatch>> | undefined;
    const sent = await sentDuring("messages", () => withTenant(rec.db, t.workspaceId, async (tx) => (result = await claimBatch(tx, t.workspaceId, ids, new Date()))));
    // Every path ran: claimed (the released one too), held, failed as lapsed, left in flight.
    expect(result!.claimed.map((c) => c.id).sort()).toEqual([...queued.map((r) => r.id), released].sort());
    expect(result!.held.map((h) => h.id)).toEqual([held]);
    expect(result!.events.map((e) => e.data.id)).toEqual([lapsed]);
    expect([...result!.inFlight]).toEqual([inFlight]);
    expect(sent.length).toBeGreaterThanOrEqual(6);

    for (const st of sent) {
      const plan = await planOf(o, t.workspaceId, st);
      const scans = scansOf(plan, "messages");
      expect(scans.length, st.text).toBeGreaterThan(0);
      for (const n of scans) {
        const why = `${describeScans(plan, "messages")}\n${st.text}`;
        expect(n["Node Type"], why).not.toBe("Seq Scan");
        // By primary key: the key itself, or (workspace_id, id), which row-level security's condition completes.
        if (n["Index Name"]) expect(ID_KEYS, why).toContain(n["Index Name"]);
        if (n["Index Cond"]) expect(n["Index Cond"], why).toMatch(/\bid = /);
      }
    }
  });
});

describe("a broadcast's pages by status keep to the (broadcast_id, status, id) index", () => {
  // Statistics that know the broadcast (a fresh ANALYZE: the file's last test). With older
  // ones (every broadcast_id null) any index on broadcast_id looks empty to the planner.
  it("the recipients report, with a status and without, give-back's and requeue's pages: one id range per status", async () => {
    await stack.owner`analyze messages`;
    const [deep] = await stack.owner<{ id: string }[]>`select id from messages where broadcast_id = ${running} order by id offset ${ROWS / 2} limit 1`;
    const sent = [
      ...(await sentDuring("messages", () => listRecipients(s, t.workspaceId, running, { cursor: deep!.id, limit: "100" }))),
      ...(await sentDuring("messages", () => listRecipients(s, t.workspaceId, running, { cursor: deep!.id, limit: "100", status: "queued" }))),
      ...(await sentDuring("messages", () => withTenantSql(rec.db, t.workspaceId, (q) => statusPage(q, running, ["queued"], deep!.id, 1000, "id")))),
      ...(await sentDuring("messages", () => withTenantSql(rec.db, t.workspaceId, (q) => statusPage(q, running, ["queued", "retrying"], deep!.id, 1000, "id")))),
    ];
    expect(sent).toHaveLength(4);
    for (const st of sent) {
      const plan = await planOf(stack.owner, t.workspaceId, st);
      const why = `${describeScans(plan, "messages")}\n${st.text}`;
      expect(scansOf(plan, "messages").map((n) => [n["Index Name"], /\bid > /.test(n["Index Cond"] ?? "")]), why).toEqual([["messages_broadcast_status", true]]);
    }
  });
});
