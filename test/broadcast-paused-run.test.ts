import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writePage } from "../lib/broadcasts/page.js";
import { sweepBroadcasts } from "../lib/broadcasts/sweep.js";
import { broadcastTenant, seedContacts, sendsPer, TEMPLATE } from "./support/broadcast-kit.js";
import { eventually } from "./support/eventually.js";
import { localRig, type QueueRig } from "./support/queue-harness.js";

/**
 * A paused broadcast's run keeps writing its audience's rows. When that run dies (its
 * process killed, its job lost) after a first page, the broadcast is left half written:
 * the sweep writes the rest while it stays paused (sending nothing), and resume alone
 * restarts it too; either way every recipient is messaged exactly once.
 */
const TOTAL = 1500;

let rig: QueueRig;
beforeAll(async () => {
  rig = await localRig(3);
}, 60_000);
afterAll(() => rig?.close(), 60_000);

/** A paused broadcast whose run started, wrote one page of 1,000 and died: no job is left to carry on before an hour. */
async function pausedWithDeadRun(tag: string) {
  const t = await broadcastTenant(rig.stack, rig.sandbox);
  const all = await seedContacts(rig.stack.owner, t.workspaceId, TOTAL, { tag });
  const created = await t.call("POST", "/v1/broadcasts", { name: tag, template: TEMPLATE, audience: { tag }, send_at: new Date(Date.now() + 3600_000).toISOString() });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const id = created.json.id as string;
  expect((await t.call("POST", `/v1/broadcasts/${id}/pause`)).json.status).toBe("paused");
  // What the run did before it died: started (its time had come) and wrote the first page.
  await rig.stack.owner`update broadcasts set send_at = now() - interval '1 minute', started_at = now() - interval '1 minute' where id = ${id}`;
  const page = await writePage(rig.stack.services, t.workspaceId, id, { tag }, true);
  expect(page).toMatchObject({ wrote: true, audienceDone: false, jobs: [] });
  const row = async () => (await rig.stack.owner<{ status: string; done: boolean; targeted: number }[]>`select status, audience_done as done, targeted from broadcasts where id = ${id}`)[0]!;
  expect(await row()).toEqual({ status: "paused", done: false, targeted: 1000 });
  const received = () => rig.sandbox.sent.filter((s) => s.phoneNumberId === t.number.phone_number_id).length;
  return { t, id, all, row, received };
}

async function resumeAndCheck(b: Awaited<ReturnType<typeof pausedWithDeadRun>>) {
  expect((await b.t.call("POST", `/v1/broadcasts/${b.id}/resume`)).json.status).toBe("running");
  const done = await eventually(async () => (await b.t.call("GET", `/v1/broadcasts/${b.id}`)).json, (x) => x.status === "completed", 240_000);
  expect(done.counts).toMatchObject({ targeted: TOTAL, sent: TOTAL, failed: 0, queued: 0 });
  const per = sendsPer(rig.sandbox, b.t.number.phone_number_id);
  expect([...per.values()].filter((n) => n !== 1)).toEqual([]);
  expect([...per.keys()].sort()).toEqual([...b.all].sort());
}

describe("a paused broadcast whose run died", () => {
  it("is swept: its run writes the rest of the audience while it stays paused, and resume sends each recipient once", async () => {
    const b = await pausedWithDeadRun("paused-swept");
    // Its row has not moved for a while: the run is gone.
    await rig.stack.owner`update broadcasts set updated_at = now() - interval '10 minutes' where id = ${b.id}`;
    expect(await sweepBroadcasts(rig.stack.services)).toBeGreaterThanOrEqual(1);
    expect(await eventually(b.row, (r) => r.done, 60_000)).toEqual({ status: "paused", done: true, targeted: TOTAL });
    expect(b.received()).toBe(0);
    await resumeAndCheck(b);
  }, 360_000);

  it("is restarted by resume alone, and every recipient is messaged exactly once", async () => {
    const b = await pausedWithDeadRun("paused-resumed");
    await resumeAndCheck(b);
  }, 360_000);

  it("a paused broadcast whose audience is written is left to resume by the sweep", async () => {
    const b = await pausedWithDeadRun("paused-written");
    await writePage(rig.stack.services, b.t.workspaceId, b.id, { tag: "paused-written" }, true);
    await writePage(rig.stack.services, b.t.workspaceId, b.id, { tag: "paused-written" }, true);
    expect(await b.row()).toEqual({ status: "paused", done: true, targeted: TOTAL });
    await rig.stack.owner`update broadcasts set updated_at = now() - interval '10 minutes' where id = ${b.id}`;
    const swept = await rig.stack.owner<{ id: string }[]>`select broadcast_id as id from sandesh_due_broadcasts(120, 100)`;
    expect(swept.map((r) => r.id)).not.toContain(b.id);
  }, 120_000);
});
