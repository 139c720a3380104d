import type { Config } from "../lib/config.js";
import type { Services } from "../lib/context.js";
import { runSendBatch } from "../lib/jobs/send.js";
import { applyStrandedStatuses, expireStatusBacklog, requeueStuckMessages } from "../lib/jobs/sweep.js";
import { applyUnsettledTags, settleLapsedMessages } from "../lib/jobs/lease.js";
import type { Logger } from "../lib/logger.js";
import { createLocalQueue } from "../lib/queue/pgboss.js";
import type { QueuePort } from "../lib/queue/port.js";
import { createQStashQueue } from "../lib/queue/qstash.js";
import { runWebhookBatch } from "../lib/webhooks/deliver.js";
import { redispatchWebhooks } from "../lib/webhooks/emit.js";
import { runBroadcast } from "../lib/broadcasts/run.js";
import { sweepBroadcasts } from "../lib/broadcasts/sweep.js";
import { runImport } from "../lib/contacts/import-run.js";
import { sweepImports } from "../lib/contacts/import-sweep.js";
import { purgeDataAccess } from "../lib/access/purge.js";
import { purgeLapsedAccess } from "../lib/retention/lapsed-access.js";
import { purgeExpiredContent } from "../lib/retention/purge.js";
import { produceExport } from "../lib/exports/produce.js";
import { sweepExports } from "../lib/exports/sweep.js";

/** QStash when QSTASH_TOKEN is set; otherwise the durable local queue in PostgreSQL. */
export async function createNodeQueue(config: Config, logger: Logger): Promise<QueuePort> {
  if (config.qstash) {
    return createQStashQueue({ token: config.qstash.token, publicUrl: config.publicUrl, ...(config.qstash.url ? { baseUrl: config.qstash.url } : {}) });
  }
  return createLocalQueue({ connectionString: config.migrationDatabaseUrl, logger });
}

/**
 * In the Node process the local queue is consumed right here, calling the same job
 * function QStash calls over HTTP; the sweep re-queues anything a crash left behind.
 */
export async function startWorkers(s: Services, opts: { concurrency?: number; sweepEveryMs?: number } = {}): Promise<() => void> {
  const q = s.queue as Partial<Awaited<ReturnType<typeof createLocalQueue>>>;
  if (q.work) {
    await q.work(async (items) => (await runSendBatch(s, items)).map((o) => (o.kind === "retry" ? "retry" : "done")), { concurrency: opts.concurrency ?? 4 });
  }
  if (q.workWebhooks) {
    // The queue's own worker count and per-workspace share (lib/queue/pgboss.ts).
    await q.workWebhooks(async (items) => (await runWebhookBatch(s, items)).map((o) => (o.kind === "retry" ? "retry" : "done")));
  }
  if (q.workBroadcasts) {
    await q.workBroadcasts(async (items) => {
      for (const { job } of items) await runBroadcast(s, job);
      return items.map(() => "done" as const);
    });
  }
  if (q.workImports) {
    await q.workImports(async (items) => {
      for (const { job } of items) await runImport(s, job);
      return items.map(() => "done" as const);
    });
  }
  if (q.workExports) {
    await q.workExports(async (items) => {
      for (const { job } of items) await produceExport(s, job);
      return items.map(() => "done" as const);
    });
  }
  const broadcasts = () => {
    sweepBroadcasts(s).catch((err: unknown) => s.logger.error("broadcast sweep failed", { error: err }));
    sweepImports(s).catch((err: unknown) => s.logger.error("import sweep failed", { error: err }));
  };
  // At start too: a broadcast or import whose process died is picked up without waiting for the first tick.
  void broadcasts();
  const timer = setInterval(() => {
    void broadcasts();
    requeueStuckMessages(s).catch((err: unknown) => s.logger.error("sweep failed", { error: err }));
    applyStrandedStatuses(s).catch((err: unknown) => s.logger.error("status backlog sweep failed", { error: err }));
    expireStatusBacklog(s).catch((err: unknown) => s.logger.error("status backlog expiry failed", { error: err }));
    settleLapsedMessages(s).catch((err: unknown) => s.logger.error("lease sweep failed", { error: err }));
    applyUnsettledTags(s).catch((err: unknown) => s.logger.error("tagged status sweep failed", { error: err }));
    redispatchWebhooks(s).catch((err: unknown) => s.logger.error("webhook sweep failed", { error: err }));
    purgeExpiredContent(s).catch((err: unknown) => s.logger.error("retention purge failed", { error: err }));
    // The read records' purge after the lapsed access's, not beside it: no more sweeps in flight per tick on the shared pool.
    purgeLapsedAccess(s)
      .catch((err: unknown) => s.logger.error("lapsed access purge failed", { error: err }))
      .then(() => purgeDataAccess(s))
      .catch((err: unknown) => s.logger.error("read record purge failed", { error: err }));
    sweepExports(s).catch((err: unknown) => s.logger.error("export sweep failed", { error: err }));
  }, opts.sweepEveryMs ?? 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
