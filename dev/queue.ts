import type { Config } from "../lib/config.js";
import type { Services } from "../lib/context.js";
import { runSendBatch } from "../lib/jobs/send.js";
import { runLane, SWEEP_LANES } from "../lib/jobs/sweeps.js";
import type { Logger } from "../lib/logger.js";
import { createLocalQueue } from "../lib/queue/pgboss.js";
import type { QueuePort } from "../lib/queue/port.js";
import { createQStashQueue } from "../lib/queue/qstash.js";
import { runWebhookBatch } from "../lib/webhooks/deliver.js";
import { runBroadcast } from "../lib/broadcasts/run.js";
import { runImport } from "../lib/contacts/import-run.js";
import { produceExport } from "../lib/exports/produce.js";

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
  const lanes = (which: typeof SWEEP_LANES) => {
    for (const lane of which) void runLane(s, lane.steps);
  };
  // At start too: a broadcast or import whose process died is picked up without waiting for the first tick.
  lanes(SWEEP_LANES.filter((l) => l.atStart));
  const timer = setInterval(() => {
    lanes(SWEEP_LANES);
  }, opts.sweepEveryMs ?? 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
