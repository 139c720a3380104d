import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { broadcastTenant, seedContacts, sendsPer, TEMPLATE } from "./support/broadcast-kit.js";
import { eventually } from "./support/eventually.js";
import { localRig, type QueueRig } from "./support/queue-harness.js";
import { REDIS_URL } from "./support/servers.js";

/**
 * The messaging tier counts unique recipients a number messaged in a rolling 24 h (the
 * gate's set). A paused or canceled broadcast gives back the room of recipients it has
 * not handed to Meta; resume takes it again, and what does not fit waits for the next
 * window and is counted so. The number sends slowly (10/s), so a pause finds most unsent.
 */
let rig: QueueRig;
let raw: Redis;
beforeAll(async () => {
  rig = await localRig(3);
  raw = new Redis(REDIS_URL);
}, 60_000);
afterAll(async () => {
  raw?.disconnect();
  await rig?.close();
}, 60_000);

async function slowBroadcast(count: number, tag: string) {
  const t = await broadcastTenant(rig.stack, rig.sandbox, { throughput: 10, tier: "TIER_250" });
  const all = await seedContacts(rig.stack.owner, t.workspaceId, count, { tag });
  const created = await t.call("POST", "/v1/broadcasts", { name: tag, template: TEMPLATE, audience: { tag } });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const id = created.json.id as string;
  const unique = `${rig.stack.config.redis.prefix}{w:${t.workspaceId}}:q:u:${t.number.id}`;
  const received = () => rig.sandbox.sent.filter((s) => s.phoneNumberId === t.number.phone_number_id).length;
  const reached = async () => (await rig.stack.owner<{ n: number }[]>`select count(*)::int as n from messages where broadcast_id = ${id} and status in ('sent', 'delivered', 'read')`)[0]!.n;
  const settled = () =>
    eventually(async () => (await rig.stack.owner<{ n: number }[]>`select count(*)::int as n from messages where broadcast_id = ${id} and status in ('sending', 'retrying')`)[0]!.n, (n) => n === 0, 60_000);
  // Every row written (each took the tier's room) and the first sends out.
  await eventually(async () => ({ b: (await t.call("GET", `/v1/broadcasts/${id}`)).json, received: received() }), (x) => x.b.counts?.targeted === count && x.received > 0, 60_000);
  return { t, id, all, unique, received, reached, settled };
}

describe("a halted broadcast and the messaging tier", () => {
  it("pause gives back the room of recipients not yet sent; resume takes it again and sends each once", async () => {
    const b = await slowBroadcast(200, "tier-pause");
    const paused = await b.t.call("POST", `/v1/broadcasts/${b.id}/pause`);
    expect(paused.json.status, paused.text).toBe("paused");
    await b.settled();
    const sent = await b.reached();
    expect(sent).toBeLessThan(200);
    // Only the recipients Meta has count against the tier now.
    expect(await raw.zcard(b.unique)).toBe(sent);

    expect((await b.t.call("POST", `/v1/broadcasts/${b.id}/resume`)).json.status).toBe("running");
    const done = await eventually(async () => (await b.t.call("GET", `/v1/broadcasts/${b.id}`)).json, (x) => x.status === "completed", 120_000);
    expect(done.counts).toMatchObject({ targeted: 200, sent: 200, failed: 0, waiting_for_tier: 0 });
    expect(await raw.zcard(b.unique)).toBe(200);
    const per = sendsPer(rig.sandbox, b.t.number.phone_number_id);
    expect([...per.values()].filter((n) => n !== 1)).toEqual([]);
    expect([...per.keys()].sort()).toEqual([...b.all].sort());
  }, 240_000);

  it("resumed into a window the number's other sends filled: what does not fit waits for the next window, and the counts say so", async () => {
    const b = await slowBroadcast(100, "tier-full");
    const paused = await b.t.call("POST", `/v1/broadcasts/${b.id}/pause`);
    expect(paused.json.status, paused.text).toBe("paused");
    await b.settled();
    const sent = await b.reached();
    expect(await raw.zcard(b.unique)).toBe(sent);
    // While paused, the number messages others (as the gate records them): 10 places are left in the tier of 250.
    const now = Date.now();
    const others = Array.from({ length: 250 - sent - 10 }, (_, i) => [now, `4477009${String(i).padStart(5, "0")}`]).flat();
    await raw.zadd(b.unique, ...(others as (string | number)[]));

    expect((await b.t.call("POST", `/v1/broadcasts/${b.id}/resume`)).json.status).toBe("running");
    const later = await eventually(
      async () => (await b.t.call("GET", `/v1/broadcasts/${b.id}`)).json,
      (x) => x.counts.sent === sent + 10 && x.counts.waiting_for_tier === 100 - sent - 10,
      120_000,
    );
    expect(later.status).toBe("running");
    expect(await raw.zcard(b.unique)).toBe(250);
    expect(b.received()).toBe(sent + 10);
    // The waits are held to the next window: a day from now.
    const [w] = await rig.stack.owner<{ n: number; soonest: Date }[]>`
      select count(*)::int as n, min(not_before) as soonest from messages where broadcast_id = ${b.id} and status = 'queued'`;
    expect(w!.n).toBe(100 - sent - 10);
    expect(w!.soonest.getTime()).toBeGreaterThan(Date.now() + 23 * 3600 * 1000);
  }, 240_000);

  it("cancel gives back the room of the recipients it leaves canceled", async () => {
    const b = await slowBroadcast(150, "tier-cancel");
    const canceled = await b.t.call("POST", `/v1/broadcasts/${b.id}/cancel`);
    expect(canceled.json.status, canceled.text).toBe("canceled");
    await b.settled();
    const sent = await b.reached();
    const done = (await b.t.call("GET", `/v1/broadcasts/${b.id}`)).json;
    expect(done.counts.canceled).toBe(150 - sent);
    expect(await raw.zcard(b.unique)).toBe(sent);
  }, 240_000);
});
