import { PgBoss } from "pg-boss";
import { GroupCommit } from "../batch.js";
import type { Logger } from "../logger.js";
import { SEND_RETRIES, type Attempt, type QueuePort, type SendJob } from "./port.js";

/**
 * The local queue (Node only): pg-boss in the same PostgreSQL, its own schema,
 * consumed in the same process. Durable across restarts; the job id is the message
 * id, so a second enqueue of one message is dropped exactly as QStash's dedup id is.
 * Retries back off exponentially (pg-boss: retryDelay · 2^n with jitter, capped).
 */
export const SEND_QUEUE = "send";

/** Handles one fetched batch; answers per job, in order. */
export type JobHandler = (items: { job: SendJob; attempt: Attempt }[]) => Promise<("done" | "retry")[]>;

export interface LocalQueue extends QueuePort {
  /** Starts consuming in this process. */
  work(handler: JobHandler, opts?: { concurrency?: number; batchSize?: number }): Promise<void>;
  boss: PgBoss;
}

export async function createLocalQueue(opts: { connectionString: string; logger: Logger; retryDelaySeconds?: number; pollSeconds?: number; retries?: number }): Promise<LocalQueue> {
  const retries = opts.retries ?? SEND_RETRIES;
  const boss = new PgBoss({ connectionString: opts.connectionString, schema: "sandesh_queue", max: 4, openTelemetry: { enabled: false } } as never);
  boss.on("error", (err: Error) => opts.logger.error("local queue error", { error: err }));
  await boss.start();
  try {
    await boss.createQueue(SEND_QUEUE, { retryLimit: retries, retryDelay: opts.retryDelaySeconds ?? 2, retryBackoff: true, retryDelayMax: 600, expireInSeconds: 300 });
  } catch (err) {
    if (!/exists/i.test((err as Error).message)) throw err;
  }
  // Group commit: concurrent enqueues share one multi-row insert. A job id that exists
  // already is skipped by pg-boss (ON CONFLICT DO NOTHING): the dedup QStash's id gives.
  const sends = new GroupCommit<SendJob>(async (jobs) => {
    await boss.insert(SEND_QUEUE, jobs.map((j) => ({ id: j.messageId, data: j })));
  });
  return {
    kind: "local",
    boss,
    enqueueSend: (job) => sends.add(job),
    async work(handler, w = {}) {
      await boss.work<SendJob>(
        SEND_QUEUE,
        { batchSize: w.batchSize ?? 50, localConcurrency: w.concurrency ?? 2, pollingIntervalSeconds: opts.pollSeconds ?? 0.5, perJobResults: true },
        async (jobs) => {
          try {
            const results = await handler(jobs.map((j) => ({ job: j.data, attempt: { retried: j.retryCount, maxRetries: retries } })));
            return jobs.map((j, i) => ({ id: j.id, status: results[i] === "done" ? ("completed" as const) : ("failed" as const) }));
          } catch (err) {
            // The batch is retried; the conditional claim keeps finished messages from sending again.
            opts.logger.error("send batch crashed", { jobs: jobs.length, error: err });
            return jobs.map((j) => ({ id: j.id, status: "failed" as const }));
          }
        },
      );
    },
    close: () => boss.stop({ graceful: true, timeout: 5000 }),
  };
}
