import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "./support/eventually.js";
import { localRig, qstashRig, rigSender, type QueueRig } from "./support/queue-harness.js";

/**
 * One suite, every queue adapter: the same message, the same Meta answers, the same
 * end state. Retries, backoff and dedup must behave alike whichever transport runs.
 */
const RIGS: [string, () => Promise<QueueRig>][] = [
  ["local (pg-boss)", () => localRig(2)],
  ["QStash (local server, real client and Receiver)", () => qstashRig(2)],
];

describe.each(RIGS)("queue adapter: %s", (_, make) => {
  let rig: QueueRig;
  beforeAll(async () => {
    rig = await make();
  }, 60_000);
  afterAll(() => rig?.close());

  type Row = { status: string; attempts: number; error_code: number | null; wamid: string | null };
  const row = async (id: string) => (await rig.stack.owner<Row[]>`select status, attempts, error_code, wamid from messages where id = ${id}`)[0]!;
  const done = (r: { status: string }) => ["sent", "delivered", "read", "failed"].includes(r.status);

  it("delivers a queued message to Meta exactly once", async () => {
    const s = await rigSender(rig);
    const id = await s.send("919877700001");
    const r = await eventually(() => row(id), done);
    expect(r.status).not.toBe("failed");
    expect(rig.sandbox.sent.filter((m) => m.id === r.wamid)).toHaveLength(1);
  });

  it("a second enqueue of the same message is dropped (dedup on the message id)", async () => {
    const s = await rigSender(rig);
    const id = await s.send("919877700002");
    await rig.stack.services.queue.enqueueSend({ messageId: id, workspaceId: s.workspaceId }, { numberId: s.number.id, perSecond: 80 });
    await rig.stack.services.queue.enqueueSend({ messageId: id, workspaceId: s.workspaceId }, { numberId: s.number.id, perSecond: 80 });
    const r = await eventually(() => row(id), done);
    expect(r.attempts).toBe(1);
    expect(rig.sandbox.attempts.filter((a) => a.wamid === r.wamid)).toHaveLength(1);
  });

  it("retries after Meta's 500 with backoff, then sends", async () => {
    const s = await rigSender(rig);
    const id = await s.send("919877700500");
    const r = await eventually(() => row(id), (x) => done(x) && x.status !== "failed", 30_000);
    expect(r.attempts).toBe(2);
  });

  it("gives up after the retry budget and fails the message with Meta's code", async () => {
    const s = await rigSender(rig);
    const id = await s.send("919877700599"); // the sandbox answers 500 every time
    const r = await eventually(() => row(id), (x) => x.status === "failed", 40_000);
    expect(r.attempts).toBe(rig.retries + 1);
    expect(r.error_code).toBe(131000);
  });
});
