import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "../db/tenant.js";
import type { Clock } from "../lib/clock.js";
import { dispatchRecorded, recordEvents, redispatchWebhooks, type OutgoingEvent } from "../lib/webhooks/emit.js";
import { eventually } from "./support/eventually.js";
import { qstashRig } from "./support/queue-harness.js";
import { envelope, inboundValue, INBOUND_SAMPLES, sign } from "./support/meta-payloads.js";
import { connectTestNumber } from "./support/senders.js";
import { webhookRig } from "./support/webhook-rig.js";
import { TEST_SECRETS, type TestStack } from "./support/stack.js";
import { startReceiver, type Receiver, type Received } from "./support/webhook-receiver.js";
import { startLocalQStash } from "../dev/qstash/server.js";
import { webhookJobId } from "../lib/queue/pgboss.js";
import { WEBHOOK_RETRIES, WEBHOOK_RETRY_DELAYS_S } from "../lib/queue/port.js";
import { createQStashQueue } from "../lib/queue/qstash.js";
import type { Services } from "../lib/context.js";
import { runWebhookAttempt } from "../lib/webhooks/deliver.js";

// Real time, plus whatever a test adds: "three days later" without waiting three days.
let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };

let stack: TestStack;
let receiver: Receiver;
const secretsSeen: string[] = [];

const rig = webhookRig({ clock });
beforeAll(() => void ({ stack, receiver } = rig));

let paths = 0;
/** A tenant with one endpoint on the receiver, at a path of its own. */
async function subscriber(events?: string[]) {
  const t = await stack.tenant();
  const path = `/hooks/${paths++}`;
  const api = (method: string, p: string, body?: unknown) =>
    stack.request(`/v1/webhook-endpoints${p}`, { method, headers: { authorization: `Bearer ${t.key}` }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const res = await api("POST", "", { url: `${receiver.url}${path}`, ...(events ? { events } : {}) });
  expect(res.status).toBe(201);
  const endpoint = await res.json();
  secretsSeen.push(endpoint.secret);
  /** What the ingest and the send job do: record in their transaction, dispatch after commit. */
  const emit = async (...evs: OutgoingEvent[]) => {
    const n = await withTenant(stack.services.db, t.workspaceId, (tx) => recordEvents(stack.services, tx, t.workspaceId, evs));
    await dispatchRecorded(stack.services, [t.workspaceId]);
    return n;
  };
  const attempts = async (q = "") => (await api("GET", `/${endpoint.id}/attempts${q}`)).json();
  const get = async () => (await api("GET", `/${endpoint.id}`)).json();
  return { ...t, path, endpoint, secret: endpoint.secret as string, api, emit, attempts, get, received: async () => receiver.on(path) };
}

const delivered = (timestamp = new Date("2026-11-23T10:00:00Z")): OutgoingEvent => ({
  type: "message.delivered",
  timestamp,
  data: { id: crypto.randomUUID(), wamid: "wamid.HBgLOTE5ODc2NTQzMjEwFQIAERgS", status: "delivered", to: "919876543210" },
});
const verify = (secret: string, r: Received) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>);

describe("outgoing webhooks, through the local queue to a real HTTP receiver", () => {
  it("delivers a recorded event once, signed per Standard Webhooks, and `standardwebhooks` verifies it", async () => {
    const s = await subscriber();
    const event = delivered();
    expect(await s.emit(event)).toBe(1);
    const [r] = await eventually(s.received, (x) => x.length === 1);
    expect(verify(s.secret, r!)).toEqual({ type: "message.delivered", timestamp: "2026-11-23T10:00:00.000Z", data: event.data });
    expect(r!.headers["content-type"]).toBe("application/json");
    expect(r!.headers["webhook-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(Number(r!.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(30);
    expect(r!.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);

    // It verifies with this endpoint's secret only, and only for these exact bytes.
    const other = await subscriber();
    expect(() => verify(other.secret, r!)).toThrow(/No matching signature/);
    expect(() => verify(s.secret, { ...r!, body: r!.body.replace("delivered", "read") })).toThrow(/No matching signature/);
    expect(() => verify(s.secret, { ...r!, headers: { ...r!.headers, "webhook-id": crypto.randomUUID() } })).toThrow(/No matching signature/);

    const { data } = await eventually(() => s.attempts(), (a) => a.data.length === 1);
    expect(data[0]).toEqual({
      id: expect.any(String),
      webhook_id: r!.headers["webhook-id"],
      event_type: "message.delivered",
      attempt: 1,
      attempted_at: expect.any(String),
      succeeded: true,
      status_code: 200,
      duration_ms: expect.any(Number),
      response_body: "ok",
      error: null,
    });
  });

  it("an endpoint subscribed to other events gets nothing; each endpoint of a workspace gets its own webhook-id", async () => {
    const s = await subscriber(["contact.opted_out"]);
    expect(await s.emit(delivered())).toBe(0);
    const second = await s.api("POST", "", { url: `${receiver.url}${s.path}-all` });
    const all = await second.json();
    secretsSeen.push(all.secret);
    const optOut: OutgoingEvent = { type: "contact.opted_out", timestamp: new Date(), data: { wa_id: "919876543210", keyword: "STOP" } };
    expect(await s.emit(optOut)).toBe(2);
    const [a] = await eventually(s.received, (x) => x.length === 1);
    const [b] = await eventually(async () => receiver.on(`${s.path}-all`), (x) => x.length === 1);
    expect(verify(s.secret, a!)).toMatchObject({ type: "contact.opted_out" });
    expect(verify(all.secret, b!)).toMatchObject({ type: "contact.opted_out" });
    expect(a!.headers["webhook-id"]).not.toBe(b!.headers["webhook-id"]);
  });

  it("a receiver answering 500 then 200: retried with backoff under the same webhook-id, both attempts recorded and listed newest first", async () => {
    const s = await subscriber();
    receiver.answer(s.path, [{ status: 500, body: "E".repeat(2000) }, { status: 200, body: "thanks" }]);
    await s.emit(delivered());
    // The retry is due 5 s after the first attempt; a machine running other suites beside this one picks it up later.
    const [first, second] = await eventually(s.received, (x) => x.length === 2, 45_000);
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(second!.body).toBe(first!.body);
    expect(Number(second!.headers["webhook-timestamp"])).toBeGreaterThanOrEqual(Number(first!.headers["webhook-timestamp"]));
    expect(verify(s.secret, second!)).toMatchObject({ type: "message.delivered" });

    const { data } = await eventually(() => s.attempts(), (a) => a.data.length === 2);
    expect(data).toEqual([
      expect.objectContaining({ attempt: 2, status_code: 200, succeeded: true, response_body: "thanks", webhook_id: first!.headers["webhook-id"] }),
      expect.objectContaining({ attempt: 1, status_code: 500, succeeded: false, response_body: "E".repeat(500), error: null }),
    ]);
    expect(Date.parse(data[0].attempted_at)).toBeGreaterThan(Date.parse(data[1].attempted_at));
    // Paginated: one per page, the cursor leads to the older one.
    const page1 = await s.attempts("?limit=1");
    expect(page1.data.map((a: { id: string }) => a.id)).toEqual([data[0].id]);
    const page2 = await s.attempts(`?limit=1&cursor=${page1.next_cursor}`);
    expect(page2).toEqual({ data: [data[1]], next_cursor: null });
    // A success ends the failing streak.
    expect((await s.get()).failing_since).toBeNull();
    const [row] = await stack.owner`select status, attempts from webhook_deliveries where endpoint_id = ${s.endpoint.id}`;
    expect(row).toEqual({ status: "delivered", attempts: 2 });
  }, 60_000);

  it("a receiver that cannot be reached: the attempt records the error and no status", async () => {
    const t = await stack.tenant();
    // A port that was just free: nothing listens there now.
    const gone = await startReceiver();
    await gone.close();
    const res = await stack.request("/v1/webhook-endpoints", { method: "POST", headers: { authorization: `Bearer ${t.key}` }, body: JSON.stringify({ url: `${gone.url}/closed` }) });
    const e = await res.json();
    secretsSeen.push(e.secret);
    await withTenant(stack.services.db, t.workspaceId, (tx) => recordEvents(stack.services, tx, t.workspaceId, [delivered()]));
    await dispatchRecorded(stack.services, [t.workspaceId]);
    const attempts = async () => (await stack.request(`/v1/webhook-endpoints/${e.id}/attempts`, { headers: { authorization: `Bearer ${t.key}` } })).json();
    const { data } = await eventually(attempts, (a) => a.data.length >= 1);
    expect(data.at(-1)).toMatchObject({ attempt: 1, status_code: null, succeeded: false, response_body: null, error: expect.stringMatching(/^connection failed/), duration_ms: 0 });
    const ep = await (await stack.request(`/v1/webhook-endpoints/${e.id}`, { headers: { authorization: `Bearer ${t.key}` } })).json();
    expect(ep).toMatchObject({ enabled: true, failing_since: expect.any(String) });
  });

  it("during a rotation every delivery carries both signatures; after 24 hours only the new secret signs", async () => {
    const s = await subscriber();
    const rotated = await (await s.api("POST", `/${s.endpoint.id}/rotate-secret`)).json();
    secretsSeen.push(rotated.secret);
    await s.emit(delivered());
    const [r] = await eventually(s.received, (x) => x.length === 1);
    expect(r!.headers["webhook-signature"]).toMatch(/^v1,\S+ v1,\S+$/);
    expect(verify(rotated.secret, r!)).toMatchObject({ type: "message.delivered" });
    expect(verify(s.secret, r!)).toMatchObject({ type: "message.delivered" });
    expect(() => verify(`whsec_${Buffer.alloc(32, 7).toString("base64")}`, r!)).toThrow(/No matching signature/);

    offsetMs = 24 * 3600_000 + 60_000;
    try {
      await s.emit(delivered());
      const [, later] = await eventually(s.received, (x) => x.length === 2);
      const sig = later!.headers["webhook-signature"] as string;
      expect(sig.split(" ")).toHaveLength(1);
      // The receiver's clock is a day behind ours here, so check the signature itself.
      const at = new Date(Number(later!.headers["webhook-timestamp"]) * 1000);
      const id = later!.headers["webhook-id"] as string;
      expect(sig).toBe(new Webhook(rotated.secret).sign(id, at, later!.body));
      expect(sig).not.toBe(new Webhook(s.secret).sign(id, at, later!.body));
    } finally {
      offsetMs = 0;
    }
  });

  it("an endpoint failing for more than three days is disabled, says why, and gets nothing more", async () => {
    const s = await subscriber();
    receiver.answer(s.path, [{ status: 503, body: "down for maintenance" }]);
    await s.emit(delivered());
    await eventually(s.received, (x) => x.length >= 1);
    const failing = await eventually(s.get, (e) => e.failing_since !== null);
    expect(failing.enabled).toBe(true);

    offsetMs = 3 * 24 * 3600_000 + 60_000;
    try {
      await s.emit(delivered());
      const disabled = await eventually(s.get, (e) => e.enabled === false, 20_000);
      expect(disabled.disabled_reason).toMatch(new RegExp(`^Disabled automatically: every delivery has failed since ${failing.failing_since.replace(/\./g, "\\.")} \\(more than 72 hours\\); the last one got HTTP 503$`));
      const [audit] = await stack.owner`select actor_type, details from audit_log where workspace_id = ${s.workspaceId} and action = 'webhook_endpoint.disabled'`;
      expect(audit).toEqual({ actor_type: "system", details: { reason: disabled.disabled_reason } });
      // Disabled in this process at once: new events are not even recorded.
      expect(await s.emit(delivered())).toBe(0);
      // What was still waiting ends without another request.
      await eventually(
        () => stack.owner`select count(*)::int as n from webhook_deliveries where endpoint_id = ${s.endpoint.id} and status not in ('failed', 'delivered')`,
        (rows) => rows[0]!.n === 0,
        20_000,
      );
      const seen = (await s.received()).length;
      const { data } = await s.attempts("?limit=100");
      expect(data.length).toBe(seen);
      expect(data.every((a: { succeeded: boolean; status_code: number }) => !a.succeeded && a.status_code === 503)).toBe(true);
    } finally {
      offsetMs = 0;
    }
    // Enabling it again starts a clean slate.
    const again = await (await s.api("PATCH", `/${s.endpoint.id}`, { enabled: true })).json();
    expect(again).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
  });

  it("dispatching the same deliveries again (a retried dispatch, the sweep) still delivers once", async () => {
    const s = await subscriber();
    await s.emit(delivered());
    const [d] = await stack.owner<{ id: string }[]>`select id from webhook_deliveries where endpoint_id = ${s.endpoint.id}`;
    await stack.services.queue.enqueueWebhook({ deliveryId: d!.id, workspaceId: s.workspaceId });
    await stack.services.queue.enqueueWebhook({ deliveryId: d!.id, workspaceId: s.workspaceId });
    await eventually(
      () => stack.owner`select state from sandesh_queue.job where name = 'webhook' and id = ${d!.id}`,
      (rows) => rows.length === 1 && rows[0]!.state === "completed",
    );
    expect(await s.received()).toHaveLength(1);
  });

  it("deliveries committed but never dispatched (a crash after commit) are picked up by the sweep", async () => {
    const s = await subscriber();
    await withTenant(stack.services.db, s.workspaceId, (tx) => recordEvents(stack.services, tx, s.workspaceId, [delivered(), delivered()]));
    await stack.owner`update webhook_deliveries set created_at = now() - interval '5 minutes' where endpoint_id = ${s.endpoint.id}`;
    expect(await redispatchWebhooks(stack.services)).toBeGreaterThanOrEqual(1);
    const got = await eventually(s.received, (x) => x.length === 2);
    expect(new Set(got.map((r) => r.headers["webhook-id"])).size).toBe(2);
  });

  it("a WhatsApp message arriving through Meta's webhook reaches the workspace's endpoint as message.received", async () => {
    const s = await subscriber(["message.received"]);
    const n = await connectTestNumber(stack, s.workspaceId);
    const msg = INBOUND_SAMPLES.text!("919812345678", `wamid.in${Date.now()}`, Math.floor(Date.now() / 1000));
    const body = JSON.stringify(envelope(n.phone_number_id, inboundValue(msg)));
    const res = await stack.request("/webhooks/meta", { method: "POST", body, headers: { "content-type": "application/json", "x-hub-signature-256": sign(TEST_SECRETS.META_APP_SECRET, body) } });
    expect(res.status).toBe(200);
    const [r] = await eventually(s.received, (x) => x.length === 1);
    expect(verify(s.secret, r!)).toMatchObject({ type: "message.received", data: { from: "919812345678", wamid: msg.id, type: "text" } });
  });

  it("no secret ever reaches the logs", async () => {
    expect(secretsSeen.length).toBeGreaterThanOrEqual(8);
    const logs = stack.logs.join("\n");
    expect(logs).toContain("webhook delivered"); // the logs were written, and read here
    for (const secret of secretsSeen) {
      expect(logs).not.toContain(secret.slice("whsec_".length));
      expect(logs).not.toContain(secret.slice("whsec_".length, 20));
    }
    // A secret the logger had to mask would still be a leak.
    expect(logs).not.toContain("[redacted]");
  });
});

describe("the retry schedule: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; failed after the 8th attempt", () => {
  const SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];

  it("is the documented one", () => {
    expect([...WEBHOOK_RETRY_DELAYS_S]).toEqual(SCHEDULE);
    expect(WEBHOOK_RETRIES).toBe(7);
  });

  /** A delivery recorded but not dispatched: the test runs its attempts by hand. */
  async function failingDelivery() {
    const s = await subscriber();
    receiver.answer(s.path, [{ status: 500, body: "down" }]);
    await withTenant(stack.services.db, s.workspaceId, (tx) => recordEvents(stack.services, tx, s.workspaceId, [delivered()]));
    const [d] = await stack.owner<{ id: string }[]>`select id from webhook_deliveries where endpoint_id = ${s.endpoint.id}`;
    return { ...s, job: { deliveryId: d!.id, workspaceId: s.workspaceId } };
  }
  const deliveryRow = async (id: string) => (await stack.owner`select status, attempts from webhook_deliveries where id = ${id}`)[0];

  it("local queue: each failed attempt queues the next as a job starting exactly its delay later", async () => {
    const d = await failingDelivery();
    for (let retried = 0; retried < SCHEDULE.length; retried++) {
      const out = await runWebhookAttempt(stack.services, d.job, { retried, maxRetries: WEBHOOK_RETRIES });
      expect(out).toEqual({ kind: "scheduled", reason: "HTTP 500", inSeconds: SCHEDULE[retried] });
      const id = await webhookJobId({ ...d.job, retried: retried + 1 });
      const [job] = await stack.owner`select extract(epoch from start_after - created_on)::int as delay, data from sandesh_queue.job where name = 'webhook' and id = ${id}`;
      expect(job).toEqual({ delay: SCHEDULE[retried], data: { ...d.job, retried: retried + 1 } });
      // Taken off the queue, so the test alone runs the attempts.
      await stack.owner`delete from sandesh_queue.job where id = ${id}`;
    }
    expect(await deliveryRow(d.job.deliveryId)).toEqual({ status: "retrying", attempts: 7 });
    const last = await runWebhookAttempt(stack.services, d.job, { retried: SCHEDULE.length, maxRetries: WEBHOOK_RETRIES });
    expect(last).toEqual({ kind: "failed", reason: "HTTP 500" });
    expect(await deliveryRow(d.job.deliveryId)).toEqual({ status: "failed", attempts: 8 });
    expect((await d.received()).length).toBe(8);
  });

  it("QStash: each failed attempt publishes the next as a message of its own, not before its delay", async () => {
    const qstash = await startLocalQStash();
    const published: { at: number; notBefore: number; body: string }[] = [];
    qstash.events.on("published", (p: { at: number; notBefore: number; body: string }) => published.push(p));
    // Nothing answers at this URL: the test runs the attempts by hand; QStash's copies never get far.
    const viaQStash: Services = { ...stack.services, queue: createQStashQueue({ token: qstash.token, baseUrl: qstash.url, publicUrl: "http://127.0.0.1:9" }) };
    try {
      const d = await failingDelivery();
      for (let retried = 0; retried < SCHEDULE.length; retried++) {
        const out = await runWebhookAttempt(viaQStash, d.job, { retried, maxRetries: WEBHOOK_RETRIES });
        expect(out).toMatchObject({ kind: "scheduled", inSeconds: SCHEDULE[retried] });
        const p = published[retried]!;
        expect(p.notBefore - p.at).toBe(SCHEDULE[retried]! * 1000);
        expect(JSON.parse(p.body)).toEqual({ ...d.job, retried: retried + 1, maxRetries: WEBHOOK_RETRIES });
      }
      expect(await runWebhookAttempt(viaQStash, d.job, { retried: SCHEDULE.length, maxRetries: WEBHOOK_RETRIES })).toMatchObject({ kind: "failed" });
      expect(published).toHaveLength(SCHEDULE.length);
    } finally {
      await qstash.close();
    }
  });
});

describe("outgoing webhooks through QStash (the local stand-in): /jobs/deliver-webhook", () => {
  it("QStash calls the signed job, which retries after a 500 and delivers, each attempt recorded", async () => {
    // The shared queue rig: the stack's queue is the QStash adapter, publishing to the local QStash.
    const rig = await qstashRig(2);
    const q = rig.stack;
    try {
      const t = await q.tenant();
      const path = "/hooks/via-qstash";
      receiver.answer(path, [{ status: 500, body: "not yet" }, { status: 204 }]);
      const res = await q.request("/v1/webhook-endpoints", { method: "POST", headers: { authorization: `Bearer ${t.key}` }, body: JSON.stringify({ url: `${receiver.url}${path}` }) });
      const e = await res.json();
      const n = await withTenant(q.services.db, t.workspaceId, (tx) => recordEvents(q.services, tx, t.workspaceId, [delivered()]));
      expect(n).toBe(1);
      await dispatchRecorded(q.services, [t.workspaceId]);
      const [first, second] = await eventually(async () => receiver.on(path), (x) => x.length === 2);
      expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
      expect(verify(e.secret, second!)).toMatchObject({ type: "message.delivered" });
      const attempts = async () => (await q.request(`/v1/webhook-endpoints/${e.id}/attempts`, { headers: { authorization: `Bearer ${t.key}` } })).json();
      const { data } = await eventually(attempts, (a) => a.data.length === 2);
      expect(data.map((a: { attempt: number; status_code: number }) => [a.attempt, a.status_code])).toEqual([
        [2, 204],
        [1, 500],
      ]);
      expect(q.logs.join("\n")).not.toContain(e.secret.slice(6));
    } finally {
      await rig.close();
    }
  });

  it("an unsigned or malformed call to /jobs/deliver-webhook does nothing", async () => {
    const res = await stack.request("/jobs/deliver-webhook", { method: "POST", body: JSON.stringify({ deliveryId: crypto.randomUUID(), workspaceId: crypto.randomUUID() }) });
    expect(res.status).toBe(401);
  });
});
