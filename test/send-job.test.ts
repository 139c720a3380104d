import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMetaSandbox, type MetaSandbox } from "../dev/meta-sandbox/index.js";
import { startWorkers } from "../dev/queue.js";
import { runSendJob, SENDING_LEASE_MS } from "../lib/jobs/send.js";
import { SEND_RETRIES } from "../lib/queue/port.js";
import { eventually } from "./support/eventually.js";
import { serveStack } from "./support/served.js";
import { connectTestNumber, setLimits } from "./support/senders.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";

let stack: TestStack;
let sandbox: MetaSandbox;
let served: { url: string; close(): Promise<void> };
let stopWorkers: () => void;

beforeAll(async () => {
  sandbox = await startMetaSandbox({ appSecret: TEST_SECRETS.META_APP_SECRET, statusDelayMs: 5 });
  stack = await createTestStack({ META_GRAPH_URL: sandbox.url }, { localQueue: true });
  served = await serveStack(stack);
  sandbox.setWebhookUrl(`${served.url}/webhooks/meta`);
  stopWorkers = await startWorkers(stack.services, { concurrency: 4 });
});
afterAll(async () => {
  stopWorkers?.();
  await served?.close();
  await stack?.close();
  await sandbox?.close();
});

let tokens = 0;
async function sender(opts: { throughput?: number } = {}) {
  const t = await stack.tenant();
  await setLimits(stack, t.workspaceId, { apiKey: { limit: 1000, periodMs: 1000 }, ip: { limit: 1000, periodMs: 1000 }, workspace: { limit: 1000, periodMs: 1000 } });
  const token = `EAAGsandboxToken${Date.now()}x${tokens++}abcdefghijklmnop`;
  const n = await connectTestNumber(stack, t.workspaceId, { token, ...opts });
  sandbox.registerNumber(n.phone_number_id, token, { throughputMps: 1000 });
  const send = async (to: string, extra: Record<string, unknown> = {}) => {
    const res = await stack.request("/v1/messages", {
      method: "POST",
      headers: { authorization: `Bearer ${t.key}` },
      body: JSON.stringify({ to, type: "template", template: { name: "order_update", language: { code: "en_US" }, category: "UTILITY" }, ...extra }),
    });
    expect(res.status).toBe(202);
    return (await res.json()).id as string;
  };
  const get = async (id: string) => (await stack.request(`/v1/messages/${id}`, { headers: { authorization: `Bearer ${t.key}` } })).json();
  return { ...t, number: n, token, send, get };
}

const messageRow = async (id: string) => (await stack.owner`select status, wamid, attempts, error_code, error_title from messages where id = ${id}`)[0]!;

describe("the send job, through the local queue, against the Meta sandbox", () => {
  it("sends once with the number's token, records the wamid, then Meta's statuses move it to read", async () => {
    const s = await sender();
    const id = await s.send("919876500001");
    const m = await eventually(() => s.get(id), (v) => v.status === "read");
    expect(m.wamid).toMatch(/^wamid\./);
    expect(m.history.map((h: { status: string }) => h.status)).toEqual(expect.arrayContaining(["queued", "sent", "delivered", "read"]));
    const calls = sandbox.sent.filter((x) => x.id === m.wamid);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.phoneNumberId).toBe(s.number.phone_number_id);
  });

  it("a job delivered twice calls Meta once", async () => {
    const s = await sender();
    stopWorkers(); // this test plays the queue itself
    try {
      const id = await s.send("919876500002");
      const before = sandbox.attempts.length;
      const job = { messageId: id, workspaceId: s.workspaceId };
      const outcomes = await Promise.all([1, 2, 3].map(() => runSendJob(stack.services, job, { retried: 0, maxRetries: SEND_RETRIES })));
      expect(outcomes.filter((o) => o.kind === "sent")).toHaveLength(1);
      // The others found it claimed (asked to come back) or finished (nothing to do).
      expect(outcomes.filter((o) => o.kind === "skipped" || o.kind === "retry")).toHaveLength(2);
      expect(sandbox.attempts.length - before).toBe(1);
      expect((await runSendJob(stack.services, job, { retried: 1, maxRetries: SEND_RETRIES })).kind).toBe("skipped");
      expect(sandbox.attempts.length - before).toBe(1);
    } finally {
      stopWorkers = await startWorkers(stack.services, { concurrency: 4 });
    }
  });

  it("Meta answering 500 once, then success, ends in sent after a retry", async () => {
    const s = await sender();
    const id = await s.send("919876500500");
    const row = await eventually(() => messageRow(id), (r) => r.status === "sent" || r.status === "delivered" || r.status === "read", 20_000);
    expect(row.attempts).toBe(2);
    const history = (await s.get(id)).history.map((h: { status: string }) => h.status);
    expect(history.slice(0, 3)).toEqual(["queued", "retrying", "sent"]);
  });

  it("a permanent error fails the message with Meta's code and title, without retrying", async () => {
    const s = await sender();
    const id = await s.send("919876500026");
    const row = await eventually(() => messageRow(id), (r) => r.status === "failed");
    expect(row).toMatchObject({ status: "failed", error_code: 131026, attempts: 1 });
    expect(row.error_title).toMatch(/131026|undeliverable/i);
    const body = await s.get(id);
    expect(body.error).toMatchObject({ code: 131026 });
  });

  it("a refused token fails the message, flags the number, and later sends are refused before queueing", async () => {
    const s = await sender();
    const id = await s.send("919876500190");
    await eventually(() => messageRow(id), (r) => r.status === "failed");
    expect((await messageRow(id)).error_code).toBe(190);
    const [n] = await stack.owner`select token_status from whatsapp_numbers where id = ${s.number.id}`;
    expect(n!.token_status).toBe("needs_new_token");
    stack.services.caches.senders.clear();
    const res = await stack.request("/v1/messages", { method: "POST", headers: { authorization: `Bearer ${s.key}` }, body: JSON.stringify({ to: "919876500191", type: "template", template: { name: "x", language: { code: "en_US" }, category: "UTILITY" } }) });
    expect(res.status).toBe(422);
    expect((await res.json()).error.code).toBe("sender_token_invalid");
  });

  it("a retryable error on the last attempt fails the message instead of leaving it retrying", async () => {
    const s = await sender();
    stopWorkers();
    try {
      const id = await s.send("919876500599"); // the sandbox answers 500 every time
      const out = await runSendJob(stack.services, { messageId: id, workspaceId: s.workspaceId }, { retried: SEND_RETRIES, maxRetries: SEND_RETRIES });
      expect(out.kind).toBe("failed");
      expect((await messageRow(id)).status).toBe("failed");
    } finally {
      stopWorkers = await startWorkers(stack.services, { concurrency: 4 });
    }
  });

  it("a message a crashed worker left in `sending` is failed on redelivery, never sent again", async () => {
    const s = await sender();
    stopWorkers();
    try {
      const id = await s.send("919876500003");
      await stack.owner`update messages set status = 'sending', updated_at = now() - ${`${SENDING_LEASE_MS + 1000} milliseconds`}::interval where id = ${id}`;
      const before = sandbox.attempts.length;
      const out = await runSendJob(stack.services, { messageId: id, workspaceId: s.workspaceId }, { retried: 1, maxRetries: SEND_RETRIES });
      expect(out.kind).toBe("skipped");
      expect(sandbox.attempts.length).toBe(before);
      const row = await messageRow(id);
      expect(row.status).toBe("failed");
      expect(row.error_title).toMatch(/outcome unknown/);
    } finally {
      stopWorkers = await startWorkers(stack.services, { concurrency: 4 });
    }
  });

  it("Meta's 130429 gets a fresh pacing slot within the same job, not the queue's backoff", async () => {
    // Our pace says 2/s, Meta's ceiling for this number is 1/s: the second send is refused
    // once (or twice, if the first reached Meta late) and goes out at the next slot.
    const s = await sender({ throughput: 2 });
    sandbox.registerNumber(s.number.phone_number_id, s.token, { throughputMps: 1 });
    const ids = [await s.send("919876500011"), await s.send("919876500012")];
    const done = await Promise.all(ids.map((id) => eventually(() => s.get(id), (v) => v.status === "sent" || v.status === "read" || v.status === "delivered")));
    const refused = sandbox.attempts.filter((a) => a.phoneNumberId === s.number.phone_number_id && a.code === 130429);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    // Each slot is tried twice at most (once more a moment later), and one fresh slot follows.
    expect(refused.length).toBeLessThanOrEqual(5);
    for (const [k, id] of ids.entries()) {
      expect((await messageRow(id)).attempts).toBe(1);
      expect(done[k]!.history.map((h: { status: string }) => h.status)).not.toContain("retrying");
    }
  });

  it("a send Meta refused for throughput tries again on its own slot, not on a fresh one", async () => {
    // Paced at 1/s, a fresh slot is a second away. The sandbox refuses a recipient ending
    // 0429 once with 130429: the second try follows the first by the short wait, no slot later.
    const s = await sender({ throughput: 1 });
    const id = await s.send("919876510429");
    const m = await eventually(() => s.get(id), (v) => ["sent", "delivered", "read"].includes(v.status));
    const tries = sandbox.attempts.filter((a) => a.phoneNumberId === s.number.phone_number_id);
    expect(tries.map((a) => a.code ?? a.httpStatus)).toEqual([130429, 200]);
    expect(Date.parse(tries[1]!.at) - Date.parse(tries[0]!.at)).toBeLessThan(500);
    expect(tries[1]!.wamid).toBe(m.wamid);
    expect((await messageRow(id)).attempts).toBe(1);
  });

  it("the Meta token never appears in logs or in any API response", async () => {
    const s = await sender();
    const ok = await s.send("919876500004");
    const bad = await s.send("919876500026");
    await eventually(() => messageRow(bad), (r) => r.status === "failed");
    await eventually(() => messageRow(ok), (r) => r.status === "read");
    const bodies = [
      await (await stack.request(`/v1/messages/${ok}`, { headers: { authorization: `Bearer ${s.key}` } })).text(),
      await (await stack.request(`/v1/messages/${bad}`, { headers: { authorization: `Bearer ${s.key}` } })).text(),
      await (await stack.request(`/v1/messages?limit=50`, { headers: { authorization: `Bearer ${s.key}` } })).text(),
      await (await stack.request(`/v1/workspace`, { headers: { authorization: `Bearer ${s.key}` } })).text(),
    ];
    for (const b of bodies) expect(b).not.toContain(s.token);
    expect(stack.logs.join("\n")).not.toContain(s.token);
    // The sandbox did receive it: the token really was used.
    expect(sandbox.attempts.some((a) => JSON.stringify(a).includes(s.number.phone_number_id))).toBe(true);
  });
});
