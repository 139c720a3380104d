import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEND_ATTEMPTS } from "../lib/jobs/endings.js";
import { settleLapsedMessages } from "../lib/jobs/lease.js";
import { runSendBatch } from "../lib/jobs/send.js";
import { setHalt } from "../lib/broadcasts/halt.js";
import { broadcastTenant, seedContacts, sendsPer, TEMPLATE } from "./support/broadcast-kit.js";
import { eventually } from "./support/eventually.js";
import { localRig, type QueueRig } from "./support/queue-harness.js";

// A pause is not a fault: holding a paused broadcast's messages never spends their attempts.
let rig: QueueRig;
beforeAll(async () => {
  rig = await localRig(3);
}, 60_000);
afterAll(() => rig?.close());

describe("the lease sweep and a paused broadcast", () => {
  it(`a paused broadcast's lapsed retries, swept ${SEND_ATTEMPTS + 1} times, keep their attempts; resume sends each once`, async () => {
    const t = await broadcastTenant(rig.stack, rig.sandbox);
    const to = await seedContacts(rig.stack.owner, t.workspaceId, 3, { tag: "held" });
    const created = await t.call("POST", "/v1/broadcasts", { name: "held", template: TEMPLATE, audience: { tag: "held" }, send_at: new Date(Date.now() + 1000).toISOString() });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id as string;
    expect((await t.call("POST", `/v1/broadcasts/${id}/pause`)).json.status).toBe("paused");
    // The run writes the rows while paused, sending nothing.
    await eventually(async () => (await rig.stack.owner<{ done: boolean }[]>`select audience_done as done from broadcasts where id = ${id}`)[0]!.done, (d) => d, 30_000);
    const rows = () => rig.stack.owner<{ status: string; attempts: number }[]>`select status, attempts from messages where broadcast_id = ${id} order by id`;
    expect(await rows()).toHaveLength(3);

    for (let i = 0; i <= SEND_ATTEMPTS; i++) {
      // Each round, as a retry whose job was lost while the broadcast was paused: due long ago.
      await rig.stack.owner`update messages set status = 'retrying', claimed_until = now() - interval '1 minute' where broadcast_id = ${id}`;
      await settleLapsedMessages(rig.stack.services);
      expect(await rows(), `sweep ${i + 1}`).toEqual([0, 1, 2].map(() => ({ status: "queued", attempts: 0 })));
    }
    expect(rig.sandbox.sent.filter((s) => s.phoneNumberId === t.number.phone_number_id)).toHaveLength(0);

    expect((await t.call("POST", `/v1/broadcasts/${id}/resume`)).json.status).toBe("running");
    const done = await eventually(async () => (await t.call("GET", `/v1/broadcasts/${id}`)).json, (b) => b.status === "completed", 30_000);
    expect(done.counts).toMatchObject({ targeted: 3, sent: 3, failed: 0 });
    const per = sendsPer(rig.sandbox, t.number.phone_number_id);
    expect([...per.keys()].sort()).toEqual([...to].sort());
    expect([...per.values()]).toEqual([1, 1, 1]);
  }, 90_000);

  it("a send claimed before the pause and withheld at its slot goes back queued with its attempt given back", async () => {
    const t = await broadcastTenant(rig.stack, rig.sandbox);
    await seedContacts(rig.stack.owner, t.workspaceId, 2, { tag: "withheld" });
    const created = await t.call("POST", "/v1/broadcasts", { name: "withheld", template: TEMPLATE, audience: { tag: "withheld" }, send_at: new Date(Date.now() + 1000).toISOString() });
    const id = created.json.id as string;
    expect((await t.call("POST", `/v1/broadcasts/${id}/pause`)).json.status).toBe("paused");
    await eventually(async () => (await rig.stack.owner<{ done: boolean }[]>`select audience_done as done from broadcasts where id = ${id}`)[0]!.done, (d) => d, 30_000);
    // As in the race: the claim saw the broadcast running, the pause's flag is up by the time the send has its slot.
    await rig.stack.owner`update broadcasts set status = 'running' where id = ${id}`;
    await setHalt(rig.stack.services.redis, t.workspaceId, id, "paused");
    const ids = (await rig.stack.owner<{ id: string }[]>`select id from messages where broadcast_id = ${id} order by id`).map((r) => r.id);
    const outcomes = await runSendBatch(rig.stack.services, ids.map((messageId) => ({ job: { messageId, workspaceId: t.workspaceId }, attempt: { retried: 0, maxRetries: 3 } })));
    expect(outcomes.map((o) => o.kind)).toEqual(["skipped", "skipped"]);
    expect(await rig.stack.owner`select status, attempts from messages where broadcast_id = ${id} order by id`).toEqual([0, 1].map(() => ({ status: "queued", attempts: 0 })));
    expect(rig.sandbox.sent.filter((s) => s.phoneNumberId === t.number.phone_number_id)).toHaveLength(0);
  }, 60_000);
});
