import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSingleConnectionClient } from "../db/client.js";
import type { Services } from "../lib/context.js";
import { createStatusWriter, STATUS_WRITER_OVERLAP_AT, type StatusWriter } from "../lib/ingest/status-writer.js";
import { eventually } from "./support/eventually.js";
import { envelope, sign, statusValue } from "./support/meta-payloads.js";
import { connectTestNumber } from "./support/senders.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";

/**
 * Meta's one-status calls share group commits (lib/ingest/status-writer.ts). What Meta
 * hears must be true: a 200 only once the status is committed, and when a commit fails,
 * 503 to every call that was in it, with nothing of them kept (Meta retries them).
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

let seq = 0;
async function setup() {
  const t = await stack.tenant();
  const n = await connectTestNumber(stack, t.workspaceId);
  const sent = async (count: number) => {
    const wamids = Array.from({ length: count }, () => `wamid.sw${Date.now()}${seq++}`);
    await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, wamid)
      select gen_random_uuid(), ${t.workspaceId}, ${n.id}, 'outbound', '919876543210', 'text', '{}', 'sent', w from unnest(${wamids}::text[]) w`;
    return wamids;
  };
  const body = (wamid: string, status = "delivered") => JSON.stringify(envelope(n.phone_number_id, statusValue(wamid, status, 1_790_000_000)));
  return { ...t, number: n, sent, body };
}

const request = (services: Services, body: string) =>
  Promise.resolve(
    stack.app.fetch(
      new Request("http://sandesh.test/webhooks/meta", { method: "POST", body, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), "x-hub-signature-256": sign(TEST_SECRETS.META_APP_SECRET, body) } }),
      { services, ip: "203.0.113.7" },
    ),
  );

/** The event rows Meta's status made for these wamids, as a connection of its own sees them: committed. */
const committed = async (wamids: string[], status = "delivered") =>
  (await stack.owner<{ n: number }[]>`select count(*)::int as n from message_events where dedupe_key = any(${wamids.map((w) => `meta:${w}:${status}`)}::text[])`)[0]!.n;

describe("Meta's status webhooks, group-committed", () => {
  it("every 200 answers a status already committed, for many calls at once", async () => {
    const t = await setup();
    const wamids = await t.sent(40);
    const seen = await Promise.all(
      wamids.map(async (w) => {
        const res = await request(stack.services, t.body(w));
        // Looked at the moment the answer arrives, before anything else is awaited.
        return { status: res.status, committed: await committed([w]) };
      }),
    );
    expect(seen.filter((s) => s.status !== 200 || s.committed !== 1)).toEqual([]);
    expect(await committed(wamids)).toBe(40);
    // Meta's retry of the same calls changes nothing and is still 200.
    const again = await Promise.all(wamids.map((w) => request(stack.services, t.body(w))));
    expect(again.map((r) => r.status)).toEqual(wamids.map(() => 200));
    expect(await committed(wamids)).toBe(40);
  });

  it("a batch whose connection is lost answers 503 to every call in it and keeps none of them; the retries are kept", async () => {
    const t = await setup();
    const [held, ...others] = await t.sent(6);
    // One lane: a flush at a time, so the calls that arrive while one is held are the next batch.
    let added = 0;
    const real: StatusWriter = createStatusWriter(createSingleConnectionClient(stack.config.databaseUrl), () => services, { lanes: 1 });
    const writer: StatusWriter = { add: (w) => (added++, real.add(w)), close: () => real.close() };
    const services: Services = { ...stack.services, statusWriter: writer };
    // Holds the wamid lock the writer takes first (lib/ingest/statuses.ts), so a flush naming it waits.
    const lock = await stack.owner.reserve();
    const writerWaits = () =>
      eventually(
        async () => (await stack.owner<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${stack.database} and wait_event_type = 'Lock' and query like '%pg_advisory_xact_lock%' and pid <> ${(await lock`select pg_backend_pid() as p`)[0]!.p as number}`).map((r) => r.pid),
        (pids) => pids.length === 1,
      );
    try {
      await lock`begin`;
      await lock`select pg_advisory_xact_lock(${0x77616d64}, hashtext(${held!}))`;
      const first = request(services, t.body(held!));
      const [firstPid] = await writerWaits();
      // These gather behind the held flush: one of them waits on the same lock, so their batch holds too.
      const batch = [request(services, t.body(held!, "read")), ...others.map((w) => request(services, t.body(w)))];
      await eventually(async () => added, (n) => n === 7);
      await stack.owner`select pg_terminate_backend(${firstPid!})`;
      expect((await first).status).toBe(503);
      const [secondPid] = await writerWaits();
      expect(secondPid).not.toBe(firstPid);
      await stack.owner`select pg_terminate_backend(${secondPid!})`;
      const answers = await Promise.all(batch);
      expect(answers.map((r) => r.status)).toEqual([503, 503, 503, 503, 503, 503]);
      for (const r of answers) expect((await r.json()).error.code).toBe("temporarily_unavailable");
      expect(await committed([held!])).toBe(0);
      expect(await committed([held!], "read")).toBe(0);
      expect(await committed(others)).toBe(0);
    } finally {
      await lock`rollback`.catch(() => {});
      lock.release();
    }
    // Meta retries: the same calls, through the same writer on a fresh connection, are kept.
    const retried = await Promise.all([request(services, t.body(held!)), request(services, t.body(held!, "read")), ...others.map((w) => request(services, t.body(w)))]);
    expect(retried.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200, 200]);
    expect(await committed([held!, ...others])).toBe(6);
    expect(await committed([held!], "read")).toBe(1);
    await writer.close();
  });

  it("while a flush is held, fewer calls than the overlap mark wait and go with the next ones; that flush failing answers 503 to all of them", async () => {
    const t = await setup();
    const [a, d, ...rest] = await t.sent(2 + STATUS_WRITER_OVERLAP_AT - 1);
    const early = rest.slice(0, 3);
    const late = rest.slice(3);
    let added = 0;
    // Both lanes, as the process runs it; a deadline far past the test's steps.
    const real = createStatusWriter(createSingleConnectionClient(stack.config.databaseUrl), () => services, { deadlineMs: 120_000 });
    const writer: StatusWriter = { add: (w) => (added++, real.add(w)), close: () => real.close() };
    const services: Services = { ...stack.services, statusWriter: writer };
    // One connection holds the wamid locks of a and d, which the writer takes first (lib/ingest/statuses.ts).
    const holder = await stack.owner.reserve();
    const holderPid = (await holder`select pg_backend_pid() as p`)[0]!.p as number;
    const waiting = (n: number) =>
      eventually(
        async () => (await stack.owner<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${stack.database} and wait_event_type = 'Lock' and query like '%pg_advisory_xact_lock%' and pid <> ${holderPid}`).map((r) => r.pid),
        (pids) => pids.length === n,
      );
    try {
      await holder`begin`;
      for (const wamid of [a!, d!]) await holder`select pg_advisory_xact_lock(${0x77616d64}, hashtext(${wamid}))`;
      const first = request(services, t.body(a!));
      const [firstPid] = await waiting(1);
      // Fewer than the mark: they wait for the held flush rather than start one of their own.
      const earlyAnswers = early.map((w) => request(services, t.body(w)));
      await eventually(async () => added, (n) => n === 1 + early.length);
      // With these the mark is reached: a flush of all of them starts on the other lane, and holds on d.
      const lateAnswers = [...late, d!].map((w) => request(services, t.body(w)));
      const pids = await waiting(2);
      const secondPid = pids.find((p) => p !== firstPid)!;
      await stack.owner`select pg_terminate_backend(${secondPid})`;
      const answers = await Promise.all([...earlyAnswers, ...lateAnswers]);
      expect(answers.map((r) => r.status)).toEqual([...early, ...late, d].map(() => 503));
      expect(await committed([...early, ...late, d!])).toBe(0);
      // The held flush was never touched: once its lock goes, it commits and answers 200.
      await holder`rollback`;
      expect((await first).status).toBe(200);
      expect(await committed([a!])).toBe(1);
    } finally {
      await holder`rollback`.catch(() => {});
      holder.release();
    }
    // Meta retries the refused calls: kept, in one transaction (they arrive together).
    const retried = await Promise.all([...early, ...late, d!].map((w) => request(services, t.body(w))));
    expect(retried.map((r) => r.status)).toEqual([...early, ...late, d].map(() => 200));
    expect(await committed([a!, d!, ...rest])).toBe(2 + rest.length);
    await writer.close();
  }, 120_000);
});
