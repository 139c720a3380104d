import { describe, expect, it } from "vitest";
import { createNodeServices, type NodeServices } from "../dev/services.js";
import { SEND_ATTEMPTS, SENDING_LEASE_MS } from "../lib/jobs/endings.js";
import { settleLapsedMessages } from "../lib/jobs/lease.js";
import { requeueStuckMessages } from "../lib/jobs/sweep.js";
import { runSendJob } from "../lib/jobs/send.js";
import { claimBatch, markPosting, releaseUnposted } from "../lib/jobs/claim.js";
import { withTenant } from "../db/tenant.js";
import { SEND_RETRIES } from "../lib/queue/port.js";
import { eventually } from "./support/eventually.js";
import { closedPort, jobSender, useJobStack } from "./support/job-kit.js";

// This file plays the queue itself: every attempt is a direct call, so each ending is
// driven exactly. Meta's status webhooks reach the served app as they would in production.
const j = useJobStack();

const first = { retried: 0, maxRetries: SEND_RETRIES };
const lastTry = { retried: SEND_RETRIES, maxRetries: SEND_RETRIES };
const row = async (id: string) =>
  (await j.stack.owner`select status, attempts, error_code, error_title, error_reason, claimed_until from messages where id = ${id}`)[0]!;
/** A message left in `status` by its first claim, its time already past. */
const lapsed = async (status: "sending" | "retrying", to: string) => {
  const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
  const id = await s.send(to);
  await j.stack.owner`update messages set status = ${status}, attempts = 1, claimed_until = now() - interval '1 second' where id = ${id}`;
  return { s, id, to };
};
/** The posting mark a worker commits before its POST (lib/jobs/claim.ts). */
const mark = (workspaceId: string, id: string, attempt: number) =>
  j.stack.owner`insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key) values (${workspaceId}, ${id}, 'sending', now(), ${`local:${id}:sending:${attempt}`})`;
const attemptsTo = (to: string) => j.sandbox.attempts.filter((a) => a.to === to).length;

describe("every job ends: sent, or failed with a reason and a message.failed event", () => {
  it("retries exhausted: Meta's 500 on every attempt ends failed `retries_exhausted` on the last one", async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const id = await s.send("919811100599");
    const job = { messageId: id, workspaceId: s.workspaceId };
    expect((await runSendJob(j.stack.services, job, first)).kind).toBe("retry");
    const waiting = await row(id);
    expect(waiting).toMatchObject({ status: "retrying", error_reason: null });
    expect(waiting.claimed_until).toBeInstanceOf(Date);
    expect((await runSendJob(j.stack.services, job, lastTry)).kind).toBe("failed");
    expect(await row(id)).toMatchObject({ status: "failed", error_reason: "retries_exhausted", attempts: 2 });
    const body = await s.get(id);
    expect(body.error).toMatchObject({ reason: "retries_exhausted" });
    const failed = (await s.events(id)).filter((e) => e.type === "message.failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data.error).toMatchObject({ reason: "retries_exhausted" });
  });

  it("token refused: Meta's 190 ends failed `token_refused` at once", async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const id = await s.send("919811100190");
    expect((await runSendJob(j.stack.services, { messageId: id, workspaceId: s.workspaceId }, first)).kind).toBe("failed");
    expect(await row(id)).toMatchObject({ status: "failed", error_code: 190, error_reason: "token_refused" });
    expect((await s.get(id)).error).toMatchObject({ code: 190, reason: "token_refused" });
    expect((await s.events(id)).map((e) => e.type)).toEqual(["message.failed"]);
  });

  it("token unopenable: the claim goes back with the reason, nothing is posted, and the last attempt ends failed `token_unopenable`", async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const to = "919811100301";
    const id = await s.send(to);
    // The sealed token no longer opens (as under a wrong MASTER_KEK): its tag is altered.
    await j.stack.owner`update whatsapp_numbers set token_tag = decode(repeat('00', 16), 'hex') where id = ${s.number.id}`;
    const job = { messageId: id, workspaceId: s.workspaceId };
    expect((await runSendJob(j.stack.services, job, first)).kind).toBe("retry");
    expect(await row(id)).toMatchObject({ status: "retrying", error_reason: "token_unopenable" });
    expect((await s.get(id)).error).toMatchObject({ reason: "token_unopenable" });
    // Handed back, so the next attempt claims it (not "being sent by another worker").
    const out = await runSendJob(j.stack.services, job, lastTry);
    expect(out).toMatchObject({ kind: "failed", reason: "token_unopenable" });
    expect(await row(id)).toMatchObject({ status: "failed", error_reason: "token_unopenable", attempts: 2 });
    expect(attemptsTo(to)).toBe(0);
    expect((await s.events(id)).filter((e) => e.type === "message.failed")).toHaveLength(1);
  });

  it("Redis down before the post: the claim goes back as `retrying` with the reason, and the last attempt ends failed", async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const to = "919811100302";
    const id = await s.send(to);
    // The same database, a Redis that is not there: pacing (the first Redis call) throws.
    const down: NodeServices = createNodeServices({ ...j.stack.config, redis: { ...j.stack.config.redis, url: `redis://127.0.0.1:${await closedPort()}` } } as never, { logger: j.stack.services.logger, dbMax: 2, queue: { ...j.stack.queue!, close: async () => {} } });
    try {
      const job = { messageId: id, workspaceId: s.workspaceId };
      expect((await runSendJob(down, job, first)).kind).toBe("retry");
      const r = await row(id);
      expect(r).toMatchObject({ status: "retrying", error_reason: "retries_exhausted" });
      expect(r.error_title).toMatch(/Redis/);
      expect(await runSendJob(down, job, lastTry)).toMatchObject({ kind: "failed", reason: "retries_exhausted" });
      expect((await s.get(id)).error.title).toMatch(/Redis/);
      expect(attemptsTo(to)).toBe(0);
      expect((await s.events(id)).filter((e) => e.type === "message.failed")).toHaveLength(1);
    } finally {
      await down.close().catch(() => {});
    }
  });

  it("lease lapsed after the posting mark: the sweep fails it `outcome_unknown`, never posted again", async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const to = "919811100303";
    const id = await s.send(to);
    await j.stack.owner`update messages set status = 'sending', attempts = 1, claimed_until = now() - interval '1 second' where id = ${id}`;
    await mark(s.workspaceId, id, 1);
    const settled = await settleLapsedMessages(j.stack.services);
    expect(settled.failed).toBeGreaterThanOrEqual(1);
    expect(await row(id)).toMatchObject({ status: "failed", error_reason: "outcome_unknown" });
    expect((await s.get(id)).error.title).toMatch(/lease/);
    expect((await s.events(id)).map((e) => e.type)).toEqual(["message.failed"]);
    // A late delivery of its job finds nothing to do.
    expect((await runSendJob(j.stack.services, { messageId: id, workspaceId: s.workspaceId }, first)).kind).toBe("skipped");
    expect(attemptsTo(to)).toBe(0);
  });

  it("lease lapsed before the posting mark: provably never posted, so it goes back, is revived and sent once", async () => {
    const { s, id, to } = await lapsed("sending", "919811100307");
    await settleLapsedMessages(j.stack.services);
    expect(await row(id)).toMatchObject({ status: "retrying", attempts: 2 });
    const [job] = await j.stack.owner`select data from sandesh_queue.job where name = 'send' and data->>'messageId' = ${id} and data->>'revival' = '2'`;
    expect(job).toBeDefined();
    expect((await runSendJob(j.stack.services, { messageId: id, workspaceId: s.workspaceId, revival: 2 }, first)).kind).toBe("sent");
    await eventually(() => row(id), (r) => r.status === "read");
    expect(attemptsTo(to)).toBe(1);
    expect((await s.events(id)).map((e) => e.type)).not.toContain("message.failed");
  });

  it("a claim taken back before its worker marked it cannot be marked (so it is never posted) by that worker", async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const id = await s.send("919811100308");
    const now = new Date();
    await withTenant(j.stack.services.db, s.workspaceId, (tx) => claimBatch(tx, s.workspaceId, [id], now));
    await j.stack.owner`update messages set claimed_until = now() - interval '1 second' where id = ${id}`;
    expect(await withTenant(j.stack.services.db, s.workspaceId, (tx) => releaseUnposted(tx, [id], new Date()))).toEqual([id]);
    expect(await withTenant(j.stack.services.db, s.workspaceId, (tx) => markPosting(tx, [{ id, attempts: 1 }]))).toEqual(new Set());
    // Marked first, the claim is never taken back.
    const again = await withTenant(j.stack.services.db, s.workspaceId, (tx) => claimBatch(tx, s.workspaceId, [id], new Date()));
    expect(again.claimed.map((c) => c.attempts)).toEqual([2]);
    expect(await withTenant(j.stack.services.db, s.workspaceId, (tx) => markPosting(tx, [{ id, attempts: 2 }]))).toEqual(new Set([id]));
    await j.stack.owner`update messages set claimed_until = now() - interval '1 second' where id = ${id}`;
    expect(await withTenant(j.stack.services.db, s.workspaceId, (tx) => releaseUnposted(tx, [id], new Date()))).toEqual([]);
  });

  it("a job that finds its message inside another worker's lease on its last attempt leaves it to the sweep instead of retrying", async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const id = await s.send("919811100304");
    await j.stack.owner`update messages set status = 'sending', attempts = 1, claimed_until = now() + interval '1 minute' where id = ${id}`;
    const job = { messageId: id, workspaceId: s.workspaceId };
    expect((await runSendJob(j.stack.services, job, first)).kind).toBe("retry");
    expect((await runSendJob(j.stack.services, job, lastTry)).kind).toBe("skipped");
    expect((await row(id)).status).toBe("sending");
  });

  it("retrying past its due time with no job: the sweep queues a new one; with the attempts spent it ends failed", async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const id = await s.send("919811100305");
    await j.stack.owner`update messages set status = 'retrying', attempts = 2, error_title = 'Meta 500', claimed_until = now() - interval '1 second' where id = ${id}`;
    await settleLapsedMessages(j.stack.services);
    const revived = await row(id);
    expect(revived).toMatchObject({ status: "retrying", attempts: 3 });
    expect(revived.claimed_until!.getTime()).toBeGreaterThan(Date.now() + SENDING_LEASE_MS / 2);
    const jobs = await j.stack.owner`select data from sandesh_queue.job where name = 'send' and data->>'messageId' = ${id} and data->>'revival' = '3'`;
    expect(jobs).toHaveLength(1);

    await j.stack.owner`update messages set attempts = ${SEND_ATTEMPTS}, claimed_until = now() - interval '1 second' where id = ${id}`;
    await settleLapsedMessages(j.stack.services);
    expect(await row(id)).toMatchObject({ status: "failed", error_reason: "retries_exhausted", error_title: "Meta 500" });
    const failed = (await s.events(id)).filter((e) => e.type === "message.failed");
    expect(failed).toHaveLength(1);
  });

  it("queued with its job ended (every attempt met the database away): the sweep queues a new job once the window passes", async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    const id = await s.send("919811100309");
    // The job ran out of attempts without claiming: it is `failed` in the queue, the message still queued.
    await j.stack.owner`update sandesh_queue.job set state = 'failed' where name = 'send' and id = ${id}`;
    await j.stack.owner`update messages set created_at = now() - interval '3 minutes' where id = ${id}`;
    const jobs = () => j.stack.owner`select id, state from sandesh_queue.job where name = 'send' and data->>'messageId' = ${id} order by created_on`;
    await requeueStuckMessages(j.stack.services);
    expect(await jobs()).toHaveLength(1); // the first pass offers the same job id (dropped) and starts the window
    await requeueStuckMessages(j.stack.services);
    expect(await jobs()).toHaveLength(1); // within the window: nothing more
    await j.stack.owner`update messages set claimed_until = now() - interval '1 second' where id = ${id}`;
    await requeueStuckMessages(j.stack.services);
    const after = await jobs();
    expect(after).toHaveLength(2);
    expect(after[1]).toMatchObject({ state: "created" });
    expect((await runSendJob(j.stack.services, { messageId: id, workspaceId: s.workspaceId, revival: 1 }, first)).kind).toBe("sent");
  });

  it("a revived job claims and sends its message once", async () => {
    const { s, id, to } = await lapsed("retrying", "919811100306");
    await settleLapsedMessages(j.stack.services);
    const out = await runSendJob(j.stack.services, { messageId: id, workspaceId: s.workspaceId, revival: 2 }, first);
    expect(out.kind).toBe("sent");
    await eventually(() => row(id), (r) => r.status === "read");
    expect(attemptsTo(to)).toBe(1);
  });
});
