import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkers } from "../dev/queue.js";
import { withTenant } from "../db/tenant.js";
import type { Clock } from "../lib/clock.js";
import type { Services } from "../lib/context.js";
import { WEBHOOK_WORKSPACE_SHARE } from "../lib/queue/pgboss.js";
import { WEBHOOK_RETRIES } from "../lib/queue/port.js";
import { CIRCUIT_COOL_DOWN_MS, CIRCUIT_TIMEOUTS } from "../lib/webhooks/circuit.js";
import { deliverWebhook } from "../lib/webhooks/deliver.js";
import { dispatchRecorded, recordEvents, type OutgoingEvent } from "../lib/webhooks/emit.js";
import { MAX_ENDPOINTS_PER_WORKSPACE } from "../lib/webhooks/endpoints.js";
import type { WebhookPost } from "../lib/webhooks/transport.js";
import { eventually } from "./support/eventually.js";
import { createTestStack, type TestStack } from "./support/stack.js";

let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true, clock });
});
afterAll(() => stack.close());

const event = (): OutgoingEvent => ({ type: "message.sent", timestamp: new Date(), data: { id: crypto.randomUUID() } });
const api = (key: string, method: string, path: string, body?: unknown) =>
  stack.request(`/v1/webhook-endpoints${path}`, { method, headers: { authorization: `Bearer ${key}` }, ...(body ? { body: JSON.stringify(body) } : {}) });
async function endpoints(key: string, host: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await api(key, "POST", "", { url: `https://${host}/hook/${i}` });
    expect(res.status).toBe(201);
    ids.push((await res.json()).id);
  }
  return ids;
}
const record = (workspaceId: string, n: number) => withTenant(stack.services.db, workspaceId, (tx) => recordEvents(stack.services, tx, workspaceId, Array.from({ length: n }, event)));
const deliveriesOf = async (endpointId: string) => (await stack.owner`select id from webhook_deliveries where endpoint_id = ${endpointId} order by id`).map((r) => r.id as string);

describe("a workspace's endpoints are capped", () => {
  it(`${MAX_ENDPOINTS_PER_WORKSPACE + 5} concurrent creations make exactly ${MAX_ENDPOINTS_PER_WORKSPACE} endpoints; the rest get 422 webhook_endpoint_limit_reached`, async () => {
    const t = await stack.tenant();
    const res = await Promise.all(Array.from({ length: MAX_ENDPOINTS_PER_WORKSPACE + 5 }, (_, i) => api(t.key, "POST", "", { url: `https://cap.example/${i}` })));
    expect(res.filter((r) => r.status === 201)).toHaveLength(MAX_ENDPOINTS_PER_WORKSPACE);
    const refused = res.filter((r) => r.status !== 201);
    expect(refused.map((r) => r.status)).toEqual(Array(5).fill(422));
    expect((await refused[0]!.json()).error.code).toBe("webhook_endpoint_limit_reached");
  });
});

describe("a circuit per endpoint that times out", () => {
  it("opens after consecutive timeouts (deliveries wait, nothing is sent), lets one probe through after the cool-down, and closes on an answer", async () => {
    const t = await stack.tenant();
    const [endpointId] = await endpoints(t.key, "slow.example", 1);
    await record(t.workspaceId, 8);
    const ids = await deliveriesOf(endpointId!);
    let calls = 0;
    let answer: "timeout" | 200 = "timeout";
    const post: WebhookPost = async () => {
      calls++;
      if (answer === "timeout") throw new DOMException("The operation timed out", "TimeoutError");
      return { status: 200, head: "", verifiedPublic: true };
    };
    const s: Services = { ...stack.services, webhookPost: post };
    const first = { retried: 0, maxRetries: WEBHOOK_RETRIES };
    const run = (i: number, attempt = first) => deliverWebhook(s, { deliveryId: ids[i]!, workspaceId: t.workspaceId }, attempt);

    for (let i = 0; i < CIRCUIT_TIMEOUTS; i++) expect((await run(i)).kind).toBe("retry");
    expect(calls).toBe(CIRCUIT_TIMEOUTS);
    const waiting = await run(3);
    expect(waiting).toMatchObject({ kind: "postponed", inSeconds: expect.any(Number) });
    expect((waiting as { inSeconds: number }).inSeconds).toBeGreaterThanOrEqual(CIRCUIT_COOL_DOWN_MS / 1000 - 1);
    expect(calls).toBe(CIRCUIT_TIMEOUTS);
    // Nothing was recorded for the postponed one: no attempt, no attempt count.
    expect((await stack.owner`select attempts from webhook_deliveries where id = ${ids[3]!}`)[0]!.attempts).toBe(0);
    offsetMs += CIRCUIT_COOL_DOWN_MS + 1000;
    // Half-open: one probe; it times out, so the circuit opens again, for twice as long.
    const [probe, held] = await Promise.all([run(3), run(5)]);
    expect([probe.kind, held.kind].sort()).toEqual(["postponed", "retry"]);
    expect(calls).toBe(CIRCUIT_TIMEOUTS + 1);
    offsetMs += CIRCUIT_COOL_DOWN_MS + 1000;
    expect((await run(6)).kind).toBe("postponed");
    // The last attempt of a delivery is always made, open or not: it is never failed untried.
    expect((await run(4, { retried: WEBHOOK_RETRIES, maxRetries: WEBHOOK_RETRIES })).kind).toBe("failed");
    expect(calls).toBe(CIRCUIT_TIMEOUTS + 2);

    // That timeout opened it again (for four times the first cool-down); then the endpoint recovers.
    offsetMs += 4 * CIRCUIT_COOL_DOWN_MS + 1000;
    answer = 200;
    expect((await run(6)).kind).toBe("delivered");
    // Closed: everything goes again.
    expect((await run(7)).kind).toBe("delivered");
    expect(calls).toBe(CIRCUIT_TIMEOUTS + 4);
  });
});

describe("one workspace's hanging receivers do not hold up another's", () => {
  it("while every delivery to tenant A's 20 endpoints hangs, tenant B's webhook is delivered, and A never holds more than its share", async () => {
    const a = await stack.tenant("A");
    const b = await stack.tenant("B");
    await endpoints(a.key, "hang.example", MAX_ENDPOINTS_PER_WORKSPACE);
    await endpoints(b.key, "ok.example", 1);
    const hanging: (() => void)[] = [];
    let delivered = 0;
    const aInFlightWhenBDelivered: number[] = [];
    stack.services.webhookPost = (url) => {
      if (url.hostname === "ok.example") {
        delivered++;
        aInFlightWhenBDelivered.push(hanging.length);
        return Promise.resolve({ status: 200, head: "", verifiedPublic: true });
      }
      // A receiver that never answers, until the test lets go of it.
      return new Promise((_, reject) => hanging.push(() => reject(new DOMException("The operation timed out", "TimeoutError"))));
    };
    const stop = await startWorkers(stack.services);
    try {
      expect(await record(a.workspaceId, 5)).toBe(5 * MAX_ENDPOINTS_PER_WORKSPACE);
      await dispatchRecorded(stack.services, [a.workspaceId]);
      await eventually(async () => hanging.length, (n) => n >= WEBHOOK_WORKSPACE_SHARE);
      await record(b.workspaceId, 1);
      await dispatchRecorded(stack.services, [b.workspaceId]);
      await eventually(async () => delivered, (n) => n === 1);
      // A's deliveries were still hanging when B's went out: B did not wait for them.
      expect(aInFlightWhenBDelivered[0]).toBeGreaterThanOrEqual(1);
      expect(hanging.length).toBeLessThanOrEqual(WEBHOOK_WORKSPACE_SHARE);
      expect(Number((await stack.owner`select count(*)::int as n from webhook_attempts where workspace_id = ${a.workspaceId}`)[0]!.n)).toBe(0);
    } finally {
      stop();
      delete stack.services.webhookPost;
      for (const release of hanging) release();
    }
  });
});
