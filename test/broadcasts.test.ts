import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { broadcastTenant, seedContacts, sendJobsFor, sendsPer, TEMPLATE } from "./support/broadcast-kit.js";
import { eventually } from "./support/eventually.js";
import { localRig, type QueueRig } from "./support/queue-harness.js";

let rig: QueueRig;
beforeAll(async () => {
  rig = await localRig(3);
}, 60_000);
afterAll(() => rig?.close());

const statusOf = async (call: Awaited<ReturnType<typeof broadcastTenant>>["call"], id: string) => (await call("GET", `/v1/broadcasts/${id}`)).json;

describe("broadcasts", () => {
  it("messages every contact of the audience once, filling the placeholders, and counts skips by reason", async () => {
    const t = await broadcastTenant(rig.stack, rig.sandbox);
    const ok = await seedContacts(rig.stack.owner, t.workspaceId, 30, { tag: "vip" });
    await seedContacts(rig.stack.owner, t.workspaceId, 4, { tag: "vip", optedOut: true });
    await seedContacts(rig.stack.owner, t.workspaceId, 3, { tag: "vip", optIn: false });
    await seedContacts(rig.stack.owner, t.workspaceId, 2, { tag: "vip", name: null });
    await rig.stack.owner`insert into contacts (workspace_id, wa_id, name, tags, marketing_opt_in_at) values (${t.workspaceId}, '0123456789', 'Bad', '{vip}', now())`;
    await seedContacts(rig.stack.owner, t.workspaceId, 5, { tag: "other" });

    const created = await t.call("POST", "/v1/broadcasts", { name: "Diwali", template: TEMPLATE, audience: { tag: "vip" } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ status: "running", name: "Diwali" });
    const id = created.json.id as string;
    // Running from the answer on: what it said is what GET says.
    expect((await statusOf(t.call, id)).started_at).toEqual(expect.any(String));

    const done = await eventually(() => statusOf(t.call, id), (b) => b.status === "completed", 30_000);
    expect(done.counts).toMatchObject({ targeted: 30, skipped: { opted_out: 4, no_marketing_opt_in: 3, missing_value: 2, invalid_number: 1 }, queued: 0, sent: 30, failed: 0 });
    const per = sendsPer(rig.sandbox, t.number.phone_number_id);
    expect([...per.keys()].sort()).toEqual([...ok].sort());
    expect([...per.values()].every((n) => n === 1)).toBe(true);
    const one = rig.sandbox.sent.find((s) => s.waId === ok[0])!;
    expect(one.body.template).toEqual({ name: "festive_offer", language: { code: "en_US" }, components: [{ type: "body", parameters: [{ type: "text", text: "Asha" }, { type: "text", text: "Pune" }] }] });
    // Every message row names its broadcast.
    const [row] = await rig.stack.owner<{ n: number }[]>`select count(*)::int as n from messages where broadcast_id = ${id}`;
    expect(row!.n).toBe(30);
  }, 60_000);

  it("sends a page as batch jobs; a recipient Meta fails once retries its batch, and the rest of the batch is sent once", async () => {
    const t = await broadcastTenant(rig.stack, rig.sandbox);
    const ok = await seedContacts(rig.stack.owner, t.workspaceId, 20, { tag: "batch" });
    // Meta answers 500 the first time for a number ending 0500 (the sandbox's recipe), then takes it.
    const once = `91${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}0500`;
    await rig.stack.owner`insert into contacts (workspace_id, wa_id, name, tags, marketing_opt_in_at, attributes) values (${t.workspaceId}, ${once}, 'Asha', '{batch}', now(), '{"city": "Pune"}')`;
    const created = await t.call("POST", "/v1/broadcasts", { name: "Batch", template: TEMPLATE, audience: { tag: "batch" } });
    const id = created.json.id as string;
    const done = await eventually(() => statusOf(t.call, id), (b) => b.status === "completed", 30_000);
    expect(done.counts).toMatchObject({ targeted: 21, sent: 21, failed: 0 });
    expect(await sendJobsFor(rig.stack.owner, id)).toMatchObject({ single: 0, batched: 21, batches: 1 });
    const per = sendsPer(rig.sandbox, t.number.phone_number_id);
    expect([...per.keys()].sort()).toEqual([...ok, once].sort());
    expect([...per.values()].every((n) => n === 1)).toBe(true);
    const attempts = await rig.stack.owner<{ recipient: string; attempts: number }[]>`select recipient, attempts from messages where broadcast_id = ${id}`;
    // The retried batch found the other 20 sent: only the failed one was claimed again.
    expect(attempts.filter((m) => m.attempts !== 1).map((m) => [m.recipient, m.attempts])).toEqual([[once, 2]]);
  }, 60_000);

  it("refuses, before anything is scheduled, an unknown placeholder, an empty audience, unknown contacts, a template the catalogue does not approve and parameters that do not fit it", async () => {
    const t = await broadcastTenant(rig.stack, rig.sandbox);
    await seedContacts(rig.stack.owner, t.workspaceId, 2, { tag: "x" });
    const bad = await t.call("POST", "/v1/broadcasts", { name: "n", template: { ...TEMPLATE, components: [{ type: "body", parameters: [{ type: "text", text: "Hi {{contact.email}}" }] }] }, audience: { tag: "x" } });
    expect(bad.status).toBe(422);
    expect(bad.json.error).toMatchObject({ code: "validation_failed", details: [{ field: "template.components.0.parameters.0.text", message: expect.stringContaining("{{contact.email}}") }] });
    const empty = await t.call("POST", "/v1/broadcasts", { name: "n", template: TEMPLATE, audience: { tag: "nobody" } });
    expect(empty.status).toBe(422);
    expect(empty.json.error.code).toBe("audience_empty");
    const stranger = crypto.randomUUID();
    const unknown = await t.call("POST", "/v1/broadcasts", { name: "n", template: TEMPLATE, audience: { contact_ids: [stranger] } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error.details[0]).toMatchObject({ field: "audience.contact_ids", message: expect.stringContaining(stranger) });
    const shape = await t.call("POST", "/v1/broadcasts", { name: "n", template: TEMPLATE, audience: { everyone: true } });
    expect(shape.status).toBe(422);
    expect(shape.json.error.details[0].field).toBe("audience");
    // A synced catalogue: the template must be in it and APPROVED.
    await rig.stack.owner`insert into template_catalogues (workspace_id, waba_id, synced_at) values (${t.workspaceId}, ${t.number.waba_id}, now())`;
    await rig.stack.owner`insert into message_templates (workspace_id, waba_id, name, language, category, status) values (${t.workspaceId}, ${t.number.waba_id}, 'festive_offer', 'en_US', 'MARKETING', 'PENDING')`;
    const pending = await t.call("POST", "/v1/broadcasts", { name: "n", template: TEMPLATE, audience: { tag: "x" } });
    expect(pending.status).toBe(422);
    expect(pending.json.error.code).toBe("template_not_approved");
    // Approved, but with one body parameter where the broadcast gives two: Meta's 132000, refused now.
    await rig.stack.owner`update message_templates set status = 'APPROVED', components = ${rig.stack.owner.json([{ type: "BODY", text: "Hello {{1}}" }])} where workspace_id = ${t.workspaceId}`;
    const mismatch = await t.call("POST", "/v1/broadcasts", { name: "n", template: TEMPLATE, audience: { tag: "x" } });
    expect(mismatch.status).toBe(422);
    expect(mismatch.json.error).toMatchObject({ code: "template_parameters_mismatch", details: [{ component: "body", expected: 1, given: 2 }] });
    const [row] = await rig.stack.owner<{ n: number }[]>`select count(*)::int as n from broadcasts where workspace_id = ${t.workspaceId}`;
    expect(row!.n).toBe(0);
  }, 30_000);

  it("pause stops sends within 2 s and resume sends the rest, each recipient exactly once", async () => {
    // 25/s: a 400-recipient audience takes 16 s, so pause lands mid-way.
    const t = await broadcastTenant(rig.stack, rig.sandbox, { throughput: 25 });
    const all = await seedContacts(rig.stack.owner, t.workspaceId, 400, { tag: "p" });
    const { json } = await t.call("POST", "/v1/broadcasts", { name: "p", template: TEMPLATE, audience: { tag: "p" } });
    await eventually(async () => sendsPer(rig.sandbox, t.number.phone_number_id).size, (n) => n >= 20, 30_000);
    const paused = await t.call("POST", `/v1/broadcasts/${json.id}/pause`);
    expect(paused.json).toEqual({ id: json.id, status: "paused" });
    const answeredAt = Date.now();
    // A send claimed before the pause finishes (or goes back) within 2 s; after that, nothing more reaches Meta.
    await new Promise((r) => setTimeout(r, 2000 - (Date.now() - answeredAt)));
    const atTwo = rig.sandbox.sent.filter((s) => s.phoneNumberId === t.number.phone_number_id).length;
    // A bounded wait for the absence of sends: there is no event to await for "nothing happened".
    await new Promise((r) => setTimeout(r, 1500));
    expect(rig.sandbox.sent.filter((s) => s.phoneNumberId === t.number.phone_number_id).length).toBe(atTwo);
    expect(atTwo).toBeLessThan(400);
    const mid = await statusOf(t.call, json.id);
    expect(mid.status).toBe("paused");
    expect(mid.counts.sent).toBe(atTwo);

    const resumed = await t.call("POST", `/v1/broadcasts/${json.id}/resume`);
    expect(resumed.json).toEqual({ id: json.id, status: "running" });
    const done = await eventually(() => statusOf(t.call, json.id), (b) => b.status === "completed", 60_000);
    expect(done.counts).toMatchObject({ targeted: 400, sent: 400, queued: 0, failed: 0 });
    const per = sendsPer(rig.sandbox, t.number.phone_number_id);
    expect(per.size).toBe(400);
    expect([...per.keys()].sort()).toEqual([...all].sort());
    expect([...per.values()].every((n) => n === 1)).toBe(true);
  }, 120_000);

  it("cancel stops sends within 2 s and leaves every unsent message canceled", async () => {
    const t = await broadcastTenant(rig.stack, rig.sandbox, { throughput: 25 });
    await seedContacts(rig.stack.owner, t.workspaceId, 300, { tag: "c" });
    const { json } = await t.call("POST", "/v1/broadcasts", { name: "c", template: TEMPLATE, audience: { tag: "c" } });
    await eventually(async () => sendsPer(rig.sandbox, t.number.phone_number_id).size, (n) => n >= 10, 30_000);
    const canceled = await t.call("POST", `/v1/broadcasts/${json.id}/cancel`);
    expect(canceled.json).toEqual({ id: json.id, status: "canceled" });
    const settled = await eventually(() => statusOf(t.call, json.id), (b) => b.counts.queued === 0, 10_000);
    const atEnd = rig.sandbox.sent.filter((s) => s.phoneNumberId === t.number.phone_number_id).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(rig.sandbox.sent.filter((s) => s.phoneNumberId === t.number.phone_number_id).length).toBe(atEnd);
    const b = await statusOf(t.call, json.id);
    expect(b.status).toBe("canceled");
    expect(b.counts.sent).toBe(atEnd);
    expect(b.counts.canceled).toBeGreaterThan(0);
    expect(b.counts.sent + b.counts.canceled + b.counts.failed).toBe(b.counts.targeted);
    expect(settled.counts.targeted).toBeGreaterThan(0);
    // Final: resume is refused, naming the state.
    const again = await t.call("POST", `/v1/broadcasts/${json.id}/resume`);
    expect(again.status).toBe(409);
    expect(again.json.error.details).toEqual({ status: "canceled" });
  }, 60_000);

  it("a workspace cannot see or act on another's broadcast: 404 on every route", async () => {
    const a = await broadcastTenant(rig.stack, rig.sandbox, { throughput: 1 });
    const b = await broadcastTenant(rig.stack, rig.sandbox);
    await seedContacts(rig.stack.owner, a.workspaceId, 3, { tag: "a" });
    const { json } = await a.call("POST", "/v1/broadcasts", { name: "a", template: TEMPLATE, audience: { tag: "a" }, send_at: new Date(Date.now() + 3600_000).toISOString() });
    expect(json.status).toBe("scheduled");
    for (const [method, path] of [
      ["GET", ""],
      ["GET", "/estimate"],
      ["GET", "/recipients"],
      ["POST", "/pause"],
      ["POST", "/resume"],
      ["POST", "/cancel"],
    ] as const) {
      const r = await b.call(method, `/v1/broadcasts/${json.id}${path}`);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.json.error.code).toBe("not_found");
    }
    expect((await b.call("GET", "/v1/broadcasts")).json.data).toEqual([]);
    expect((await statusOf(a.call, json.id)).status).toBe("scheduled");
  }, 30_000);
});
