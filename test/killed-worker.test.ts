import { describe, expect, it } from "vitest";
import { startWorkers } from "../dev/queue.js";
import { applyUnsettledTags, settleLapsedMessages } from "../lib/jobs/lease.js";
import { eventually } from "./support/eventually.js";
import { jobSender, useJobStack } from "./support/job-kit.js";
import { startTs } from "./support/spawn.js";
import { TEST_SECRETS } from "./support/stack.js";

// A send worker in its own process is killed (SIGKILL) in the middle of its batches. Its
// claims stay `sending` until their lease lapses (here: set lapsed, as the clock would);
// pg-boss brings its jobs back after a missed heartbeat; the claims it never marked as
// posting go back and are sent once; Meta's own statuses settle those it had posted.
// Nothing is lost, nothing reaches the sandbox twice, nothing stays stuck.
const j = useJobStack();
const N = 120;

describe("a send worker killed mid-batch", () => {
  it("loses nothing, sends nothing twice, and leaves nothing stuck after the lease", { timeout: 150_000 }, async () => {
    const s = await jobSender(j.stack, j.sandbox, j.receiver.url);
    // Recipients end in 7777, which no sandbox failure recipe uses. Accepted at the number's
    // full rate, then sent at 20/s, so the worker dies with batches claimed and waiting.
    const ids: string[] = [];
    for (let i = 0; i < N; i += 20) ids.push(...(await Promise.all(Array.from({ length: 20 }, (_, k) => s.send(`91983${String(i + k).padStart(4, "0")}7777`)))));
    await j.stack.owner`update whatsapp_numbers set throughput_mps = 20 where id = ${s.number.id}`;
    const worker = startTs("test/support/send-worker-process.ts", {
      ...TEST_SECRETS,
      SANDESH_ENV: "test",
      LOG_LEVEL: "warn",
      DATABASE_URL: j.stack.config.databaseUrl,
      DATABASE_MIGRATION_URL: j.stack.config.migrationDatabaseUrl,
      REDIS_URL: "redis://127.0.0.1:6379",
      REDIS_PREFIX: j.stack.config.redis.prefix,
      META_GRAPH_URL: j.sandbox.url,
    });
    let stopWorkers = () => {};
    try {
      await worker.waitFor(/send worker ready/);
      const atSandbox = () => j.sandbox.sent.filter((m) => m.phoneNumberId === s.number.phone_number_id);
      // Mid-batch: some sent, most still claimed or waiting for their pace.
      await eventually(async () => atSandbox().length, (n) => n >= 20, 60_000);
      worker.child.kill("SIGKILL");
      await worker.exited;
      const beforeKill = new Set(atSandbox().map((m) => m.waId));
      const dead = (await j.stack.owner<{ id: string }[]>`select id from messages where id = any(${ids}::uuid[]) and status = 'sending'`).map((r) => r.id);

      stopWorkers = await startWorkers(j.stack.services, { concurrency: 2, sweepEveryMs: 3_600_000 });
      // The dead worker's leases lapse (the clock, not the test, would bring this moment), then the sweep runs.
      await j.stack.owner`update messages set claimed_until = now() - interval '1 second' where id = any(${dead}::uuid[]) and status = 'sending'`;
      await settleLapsedMessages(j.stack.services);
      const open = () => j.stack.owner<{ n: number }[]>`select count(*)::int as n from messages where id = any(${ids}::uuid[]) and status in ('queued', 'sending', 'retrying')`;
      await eventually(async () => (await open())[0]!.n, (n) => n === 0, 90_000);
      // The dead worker's own jobs came back (missed heartbeat), ran, and found nothing to send.
      const live = () => j.stack.owner<{ n: number }[]>`select count(*)::int as n from sandesh_queue.job where name = 'send' and data->>'workspaceId' = ${s.workspaceId} and state in ('created', 'retry', 'active')`;
      await eventually(async () => (await live())[0]!.n, (n) => n === 0, 90_000);
      await j.sandbox.idle();
      await applyUnsettledTags(j.stack.services, 0);

      const rows = await j.stack.owner<{ id: string; recipient: string; status: string; wamid: string | null; error_reason: string | null }[]>`
        select id, recipient, status, wamid, error_reason from messages where id = any(${ids}::uuid[])`;
      expect(rows).toHaveLength(N);
      const byRecipient = new Map<string, number>();
      for (const m of atSandbox()) byRecipient.set(m.waId, (byRecipient.get(m.waId) ?? 0) + 1);
      // 0 duplicated at the sandbox.
      expect([...byRecipient.values()].filter((n) => n > 1)).toEqual([]);
      const sentTo = new Map(atSandbox().map((m) => [m.waId, m.id]));
      const reconciled: string[] = [];
      const resent: string[] = [];
      for (const r of rows) {
        const wamid = sentTo.get(r.recipient);
        if (wamid) {
          // Meta has it: the message ends read with that wamid, whoever recorded it (the job, or Meta's statuses).
          expect(r, r.id).toMatchObject({ status: "read", wamid });
          if (dead.includes(r.id)) (beforeKill.has(r.recipient) ? reconciled : resent).push(r.id);
        } else {
          // Never reached Meta: only a claim the dead worker held, failed "outcome unknown" (never sent again).
          expect(dead, r.id).toContain(r.id);
          expect(r, r.id).toMatchObject({ status: "failed", error_reason: "outcome_unknown" });
        }
      }
      // 0 lost: every message is read or failed with a reason.
      expect(rows.every((r) => r.status === "read" || (r.status === "failed" && r.error_reason))).toBe(true);
      console.info(`killed worker: ${N} messages; ${dead.length} claims left by the dead worker: ${reconciled.length} posted before the kill (settled by Meta's statuses), ${resent.length} never posted (released, sent once after), ${N - sentTo.size} failed outcome_unknown; ${sentTo.size} at the sandbox, once each`);
    } finally {
      stopWorkers();
      await worker.stop();
    }
  });
});
