import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { broadcastTenant, seedContacts, sendsPer, TEMPLATE } from "./support/broadcast-kit.js";
import { eventually } from "./support/eventually.js";
import { localRig, qstashRig, type QueueRig } from "./support/queue-harness.js";

/**
 * Scheduling, on both queues: the broadcast's run is a job with a not-before (pg-boss
 * startAfter, QStash Upstash-Not-Before), so it starts at send_at without the sweep
 * (which runs once a minute in the Node process and is not what starts it here).
 */
describe.each([
  ["local (pg-boss)", () => localRig(3)],
  ["QStash (local)", () => qstashRig(3)],
])("a scheduled broadcast on %s", (_name, make) => {
  let rig: QueueRig;
  beforeAll(async () => {
    rig = await make();
  }, 60_000);
  afterAll(() => rig?.close());

  it("scheduled 2 s ahead, starts on time and messages its audience", async () => {
    const t = await broadcastTenant(rig.stack, rig.sandbox);
    const wa = await seedContacts(rig.stack.owner, t.workspaceId, 20, { tag: "s" });
    const sendAt = new Date(Date.now() + 2000);
    const created = await t.call("POST", "/v1/broadcasts", { name: "later", template: TEMPLATE, audience: { tag: "s" }, send_at: sendAt.toISOString() });
    expect(created.status).toBe(201);
    expect(created.json.status).toBe("scheduled");
    const id = created.json.id as string;
    expect((await t.call("GET", `/v1/broadcasts/${id}`)).json.status).toBe("scheduled");
    const started = await eventually(async () => (await t.call("GET", `/v1/broadcasts/${id}`)).json, (b) => b.started_at !== null, 15_000);
    // Never early; and on time, not at the sweep's next pass (60 s).
    expect(new Date(started.started_at).getTime()).toBeGreaterThanOrEqual(sendAt.getTime());
    expect(new Date(started.started_at).getTime() - sendAt.getTime()).toBeLessThan(10_000);
    const done = await eventually(async () => (await t.call("GET", `/v1/broadcasts/${id}`)).json, (b) => b.status === "completed", 30_000);
    expect(done.counts).toMatchObject({ targeted: 20, sent: 20 });
    const per = sendsPer(rig.sandbox, t.number.phone_number_id);
    expect([...per.keys()].sort()).toEqual([...wa].sort());
    expect([...per.values()].every((n) => n === 1)).toBe(true);
  }, 60_000);

  it("a broadcast whose trigger was lost is started by the sweep", async () => {
    const t = await broadcastTenant(rig.stack, rig.sandbox);
    await seedContacts(rig.stack.owner, t.workspaceId, 3, { tag: "lost" });
    // Written as the owner, as if the enqueue had failed after the row committed.
    const id = crypto.randomUUID();
    await rig.stack.owner`insert into broadcasts (id, workspace_id, whatsapp_number_id, name, template, audience, send_at)
      values (${id}, ${t.workspaceId}, ${t.number.id}, 'lost', ${rig.stack.owner.json(TEMPLATE)}, ${rig.stack.owner.json({ tag: "lost" })}, now() - interval '1 minute')`;
    const { sweepBroadcasts } = await import("../lib/broadcasts/sweep.js");
    expect(await sweepBroadcasts(rig.stack.services)).toBeGreaterThanOrEqual(1);
    const done = await eventually(async () => (await t.call("GET", `/v1/broadcasts/${id}`)).json, (b) => b.status === "completed", 30_000);
    expect(done.counts).toMatchObject({ targeted: 3, sent: 3 });
  }, 60_000);
});
