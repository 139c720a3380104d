import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { broadcastTenant, seedContacts, sendsPer, TEMPLATE } from "./support/broadcast-kit.js";
import { eventually } from "./support/eventually.js";
import { localRig, qstashRig, type QueueRig } from "./support/queue-harness.js";

/**
 * A broadcast paused mid-run and resumed while Meta's status webhooks flow back (the
 * sandbox posts sent, delivered and read for every send, shortly after it, to Sandesh's
 * /webhooks/meta): it finishes, and the sandbox received every recipient exactly once.
 * Once, this stalled after the resume with messages stuck `sending` and `queued`.
 */
const TOTAL = 2000;
const PAUSE_AFTER = 400;

describe.each([
  ["local (pg-boss)", () => localRig(3, { statusDelayMs: 200 })],
  ["QStash (local)", () => qstashRig(3, { statusDelayMs: 200 })],
] as const)("a resumed broadcast under its status webhooks, %s", (name, make) => {
  let rig: QueueRig;
  beforeAll(async () => {
    rig = await make();
  }, 60_000);
  afterAll(() => rig?.close(), 60_000);

  it(`${TOTAL} recipients, paused after ${PAUSE_AFTER} sends and resumed: completed, each sent exactly once`, async () => {
    const t = await broadcastTenant(rig.stack, rig.sandbox);
    const all = await seedContacts(rig.stack.owner, t.workspaceId, TOTAL, { tag: "load" });
    const created = await t.call("POST", "/v1/broadcasts", { name: "resume under load", template: TEMPLATE, audience: { tag: "load" } });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id as string;
    const received = () => rig.sandbox.sent.filter((s) => s.phoneNumberId === t.number.phone_number_id).length;
    const state = async () => ({
      received: received(),
      rows: await rig.stack.owner<{ status: string; n: number }[]>`select status, count(*)::int as n from messages where broadcast_id = ${id} group by 1 order by 1`,
    });

    await eventually(async () => received(), (n) => n >= PAUSE_AFTER, 120_000);
    expect((await t.call("POST", `/v1/broadcasts/${id}/pause`)).json.status).toBe("paused");
    // The pause settles: nothing of the broadcast is left being sent.
    await eventually(state, (s) => !s.rows.some((r) => r.status === "sending"), 60_000);
    const atPause = received();
    expect(atPause).toBeLessThan(TOTAL);

    const resumedAt = Date.now();
    expect((await t.call("POST", `/v1/broadcasts/${id}/resume`)).json.status).toBe("running");
    let allAt = 0;
    const done = await eventually(async () => (await t.call("GET", `/v1/broadcasts/${id}`)).json, (b) => ((allAt ||= received() >= TOTAL ? Date.now() : 0), b.status === "completed"), 600_000).catch(async (err: Error) => {
      throw new Error(`${err.message}\nat the end: ${JSON.stringify(await state())}`);
    });
    // For the record (speed is bench/'s to judge, not this test's): the rate after the
    // resume, and how many statuses outran their send's answer (the backlog's inserts).
    const sending = ((allAt || Date.now()) - resumedAt) / 1000;
    const [backlog] = await rig.stack.owner<{ n: number }[]>`select n_tup_ins::int as n from pg_stat_user_tables where relname = 'status_backlog'`;
    console.log(
      `[${name}] ${TOTAL - atPause} sends after the resume in ${sending.toFixed(1)} s (${((TOTAL - atPause) / sending).toFixed(0)}/s), completed after ${((Date.now() - resumedAt) / 1000).toFixed(1)} s; statuses through the backlog: ${backlog?.n}`,
    );

    expect(done.counts).toMatchObject({ targeted: TOTAL, sent: TOTAL, failed: 0, queued: 0 });
    const per = sendsPer(rig.sandbox, t.number.phone_number_id);
    expect([...per.values()].filter((n) => n !== 1), "recipients sent more than once").toEqual([]);
    expect([...per.keys()].sort()).toEqual([...all].sort());
  }, 900_000);
});
