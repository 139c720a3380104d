import { PgBoss } from "pg-boss";
import { GroupCommit } from "../batch.js";
import { groupBy } from "../group.js";
import type { Logger } from "../logger.js";
import { APP_ROLE } from "../../db/tenant.js";
import { sha256Hex } from "../crypto/encoding.js";
import { SEND_BATCH, SEND_RETRIES, WEBHOOK_RETRIES, type Attempt, type BroadcastJob, type SendBatchJob, type ExportJob, type ImportJob, type QueuePort, type SendJob, type SqlExec, type WebhookJob } from "./port.js";

/**
 * The local queue (Node only): pg-boss in the same PostgreSQL, its own schema,
 * consumed in the same process. Durable across restarts; the job id is the message
 * id, so a second enqueue of one message is dropped exactly as QStash's dedup id is.
 * Retries back off exponentially (pg-boss: retryDelay · 2^n with jitter, capped).
 */
export const SEND_QUEUE = "send";
/** Batch jobs of a broadcast's sends (SendBatchJob), under the send queue's retry policy. */
export const SEND_BATCH_QUEUE = "send-batch";
/** Outgoing webhook deliveries: a queue of their own, so a slow receiver never holds up sends. */
export const WEBHOOK_QUEUE = "webhook";
/** Broadcast runs: few, long, and each one resumable from its row (lib/broadcasts/run.ts). */
export const BROADCAST_QUEUE = "broadcast";
/** Contacts imports: each job a bounded stretch of one import, resumable from its checkpoint. */
export const IMPORT_QUEUE = "import";
/** Approved exports: each job produces one file, sealed page by page (lib/exports/produce.ts). */
export const EXPORT_QUEUE = "export";

/** Handles one fetched batch; answers per job, in order. */
export type JobHandler<J = SendJob> = (items: { job: J; attempt: Attempt }[]) => Promise<("done" | "retry")[]>;
type WorkOptions = { concurrency?: number; batchSize?: number };

export interface LocalQueue extends QueuePort {
  /** Starts consuming in this process. */
  work(handler: JobHandler, opts?: WorkOptions): Promise<void>;
  /** Starts consuming webhook deliveries in this process. */
  workWebhooks(handler: JobHandler<WebhookJob>, opts?: WorkOptions): Promise<void>;
  /** Starts consuming broadcast runs in this process. */
  workBroadcasts(handler: JobHandler<BroadcastJob>, opts?: WorkOptions): Promise<void>;
  /** Starts consuming contacts imports in this process. */
  workImports(handler: JobHandler<ImportJob>, opts?: WorkOptions): Promise<void>;
  /** Starts producing approved exports in this process. */
  workExports(handler: JobHandler<ExportJob>, opts?: WorkOptions): Promise<void>;
  boss: PgBoss;
}

export async function createLocalQueue(opts: { connectionString: string; logger: Logger; retryDelaySeconds?: number; pollSeconds?: number; retries?: number }): Promise<LocalQueue> {
  const retries = opts.retries ?? SEND_RETRIES;
  const retryDelay = opts.retryDelaySeconds ?? 2;
  // Supervision (expiry, missed heartbeats) every 10 s instead of every minute: with a
  // 10 s heartbeat, a killed worker's jobs are retried within ~20 s, not after expiry.
  const boss = new PgBoss({ connectionString: opts.connectionString, options: FETCH_PLAN, schema: "sandesh_queue", max: 4, openTelemetry: { enabled: false }, superviseIntervalSeconds: SUPERVISE_S, monitorIntervalSeconds: SUPERVISE_S } as never);
  boss.on("error", (err: Error) => opts.logger.error("local queue error", { error: err }));
  await boss.start();
  const sendPolicy = { retryLimit: retries, retryDelay, retryBackoff: true, retryDelayMax: SEND_DELAY_MAX_S, expireInSeconds: 300, heartbeatSeconds: HEARTBEAT_S };
  await ensureQueue(boss, SEND_QUEUE, sendPolicy);
  // The same policy, so retryWithinMs holds for a message whichever of the two carries it.
  await ensureQueue(boss, SEND_BATCH_QUEUE, sendPolicy);
  // pg-boss's own retries only re-run an attempt whose job crashed; the schedule of
  // attempts is WEBHOOK_RETRY_DELAYS_S, each retry a job of its own (see enqueueWebhook).
  // A queue made under the earlier policy (its own backoff) takes this one.
  await ensureQueue(boss, WEBHOOK_QUEUE, { retryLimit: WEBHOOK_JOB_RETRIES, retryDelay: opts.retryDelaySeconds ?? 5, retryBackoff: true, retryDelayMax: 300, expireInSeconds: 120, heartbeatSeconds: HEARTBEAT_S });
  await ensureQueue(boss, BROADCAST_QUEUE, { retryLimit: 10, retryDelay: 2, retryBackoff: true, retryDelayMax: 60, expireInSeconds: 900, heartbeatSeconds: HEARTBEAT_S });
  await ensureQueue(boss, IMPORT_QUEUE, { retryLimit: 10, retryDelay: 2, retryBackoff: true, retryDelayMax: 60, expireInSeconds: 900, heartbeatSeconds: HEARTBEAT_S });
  await ensureQueue(boss, EXPORT_QUEUE, { retryLimit: 10, retryDelay: 2, retryBackoff: true, retryDelayMax: 60, expireInSeconds: 900, heartbeatSeconds: HEARTBEAT_S });
  // The message writer inserts send jobs in its own transaction, which runs as the
  // application role: it may add jobs (and read the queue's settings to do so), nothing more.
  const inTransaction = await grantJobInserts(boss, opts.logger);
  // Group commit: concurrent enqueues share one multi-row insert. A job id that exists
  // already is skipped by pg-boss (ON CONFLICT DO NOTHING): the dedup QStash's id gives.
  const sends = new GroupCommit<SendJob>(async (jobs) => {
    await boss.insert(SEND_QUEUE, jobs.map(jobRow));
  });
  const webhooks = new GroupCommit<{ job: WebhookJob; delaySeconds: number }>(async (items) => {
    const jobs = await Promise.all(
      items.map(async ({ job, delaySeconds }) => ({
        id: await webhookJobId(job),
        data: job,
        // Fair share: each workspace's deliveries count against its own concurrency (workWebhooks).
        group: { id: job.workspaceId },
        // Seconds as text: pg-boss adds them to the database's now(), so no clock of ours is involved.
        ...(delaySeconds > 0 ? { startAfter: String(delaySeconds) } : {}),
      })),
    );
    await boss.insert(WEBHOOK_QUEUE, jobs as never);
  });
  let importWorker: string | null = null;
  /** Answers per job: done completes it, retry fails it back to pg-boss's backoff. */
  const consume = <J extends object>(queue: string, maxRetries: number, handler: JobHandler<J>, w: WorkOptions, defaults: Required<WorkOptions>, retriedOf: (j: { data: J; retryCount: number }) => number, groupConcurrency?: number) =>
    boss.work<J>(
      queue,
      { batchSize: w.batchSize ?? defaults.batchSize, localConcurrency: w.concurrency ?? defaults.concurrency, pollingIntervalSeconds: opts.pollSeconds ?? 0.5, perJobResults: true, ...(groupConcurrency ? { localGroupConcurrency: groupConcurrency } : {}) },
      async (jobs) => {
        try {
          const results = await handler(jobs.map((j) => ({ job: j.data, attempt: { retried: retriedOf(j), maxRetries } })));
          return jobs.map((j, i) => ({ id: j.id, status: results[i] === "done" ? ("completed" as const) : ("failed" as const) }));
        } catch (err) {
          // The batch is retried; each job's own conditional checks keep finished work from repeating.
          opts.logger.error(`${queue} batch crashed`, { jobs: jobs.length, error: err });
          return jobs.map((j) => ({ id: j.id, status: "failed" as const }));
        }
      },
    );
  return {
    kind: "local",
    boss,
    enqueueSend: (job) => sends.add(job),
    // pg-boss: retryDelay · 2^n with jitter below it, capped; then a poll and a supervision pass.
    retryWithinMs: (retried) => (Math.min(SEND_DELAY_MAX_S, retryDelay * 2 ** Math.min(16, retried + 1)) + SUPERVISE_S + 1) * 1000,
    ...(inTransaction && {
      async insertSendsIn(exec: SqlExec, jobs: SendJob[]) {
        await boss.insert(SEND_QUEUE, jobs.map(jobRow), { db: inCaller(exec) } as never);
      },
      async insertSendBatchesIn(exec: SqlExec, jobs: SendJob[]) {
        const single = jobs.filter((j) => j.revival || j.resumed);
        if (single.length) await boss.insert(SEND_QUEUE, single.map(jobRow), { db: inCaller(exec) } as never);
        const batches = await Promise.all(batchesOf(jobs.filter((j) => !j.revival && !j.resumed)).map(batchRow));
        if (batches.length) await boss.insert(SEND_BATCH_QUEUE, batches, { db: inCaller(exec) } as never);
      },
    }),
    enqueueWebhook: (job, o) => webhooks.add({ job, delaySeconds: o?.delaySeconds ?? 0 }),
    async enqueueBroadcast(job, o) {
      await boss.insert(BROADCAST_QUEUE, [{ data: job, ...(o?.notBefore ? { startAfter: o.notBefore } : {}) }]);
    },
    async enqueueImport(job) {
      await boss.insert(IMPORT_QUEUE, [{ id: await importJobId(job), data: job }]);
      // This process consumes imports: its idle worker fetches now, not at its next poll.
      if (importWorker) boss.notifyWorker(importWorker);
    },
    async enqueueExport(job) {
      await boss.insert(EXPORT_QUEUE, [{ id: await uuidOf(`export:${job.exportId}${job.revival ? `:r${job.revival}` : ""}`), data: job }]);
    },
    async work(handler, w = {}) {
      await consume(SEND_QUEUE, retries, handler, w, { batchSize: SEND_BATCH, concurrency: 2 }, (j) => j.retryCount);
      // One batch job per fetch: its messages are what one worker's batch of single jobs was.
      await consume<SendBatchJob>(
        SEND_BATCH_QUEUE,
        retries,
        async (items) => {
          const flat = items.flatMap(({ job, attempt }) => job.messageIds.map((messageId) => ({ job: { messageId, workspaceId: job.workspaceId }, attempt })));
          const answers = await handler(flat);
          let k = 0;
          return items.map(({ job }) => (answers.slice(k, (k += job.messageIds.length)).includes("retry") ? "retry" : "done"));
        },
        w,
        { batchSize: 1, concurrency: 2 },
        (j) => j.retryCount,
      );
    },
    async workWebhooks(handler, w = {}) {
      // The attempt travels in the job: a re-run of a crashed job is the same attempt again.
      // One job per fetch, so a slow receiver holds its own slot and nobody else's; no
      // workspace holds more than WEBHOOK_WORKSPACE_SHARE of them (pg-boss counts its
      // active jobs in the database, across processes), so another tenant's deliveries
      // are fetched while one tenant's receivers hang.
      await consume(WEBHOOK_QUEUE, WEBHOOK_RETRIES, handler, w, { batchSize: 1, concurrency: WEBHOOK_WORKERS }, (j) => j.data.retried ?? 0, WEBHOOK_WORKSPACE_SHARE);
    },
    async workBroadcasts(handler, w = {}) {
      await consume(BROADCAST_QUEUE, 10, handler, w, { batchSize: 1, concurrency: 2 }, (j) => j.retryCount);
    },
    async workImports(handler, w = {}) {
      importWorker = await consume(IMPORT_QUEUE, 10, handler, w, { batchSize: 1, concurrency: 2 }, (j) => j.retryCount);
    },
    async workExports(handler, w = {}) {
      await consume(EXPORT_QUEUE, 10, handler, w, { batchSize: 1, concurrency: 1 }, (j) => j.retryCount);
    },
    close: () => boss.stop({ graceful: true, timeout: 5000 }),
  };
}

/** Webhook workers per process, and how many of them one workspace's deliveries may hold. */
export const WEBHOOK_WORKERS = 16;
export const WEBHOOK_WORKSPACE_SHARE = 4;

/** Re-runs of a webhook job whose handler crashed (not the delivery's retries). */
const WEBHOOK_JOB_RETRIES = 3;

/**
 * The first attempt's job id is the delivery id (a second dispatch is dropped); a retry's
 * is derived from the delivery id and its number, so a re-run attempt queues its
 * successor once.
 */
export async function webhookJobId(job: WebhookJob): Promise<string> {
  if (!job.retried && !job.postponed) return job.deliveryId;
  return uuidOf(job.postponed ? `${job.deliveryId}:${job.retried ?? 0}:p${job.postponed}` : `${job.deliveryId}:${job.retried}`);
}

/** One job per import and checkpoint: a second enqueue from the same point (the sweep, a retry) is dropped. */
export const importJobId = (job: ImportJob): Promise<string> => uuidOf(`import:${job.importId}:${job.from ?? 0}${job.revival ? `:r${job.revival}` : ""}`);

/** A job id derived from a name (pg-boss ids are uuids). */
async function uuidOf(name: string): Promise<string> {
  const h = await sha256Hex(name);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const SUPERVISE_S = 10;
/**
 * The fetch orders a queue's waiting jobs by the partial index that holds exactly them
 * and stops at the batch. Statistics taken while the queue was near empty (a broadcast
 * then queues 100,000 jobs in seconds) made the planner read and sort every waiting job
 * through a bitmap instead, ~40 ms a fetch at 20,000 waiting (test/queue-fetch-plan.test.ts):
 * without bitmaps on the queue's own connections the index is walked in order whatever
 * the statistics say.
 */
const FETCH_PLAN = "-c enable_bitmapscan=off";
/** pg-boss's minimum: a worker refreshes it every 5 s while its batch runs. */
const HEARTBEAT_S = 10;
const SEND_DELAY_MAX_S = 600;

/** pg-boss's insert inside the caller's transaction. */
const inCaller = (exec: SqlExec) => ({ executeSql: async (text: string, values: unknown[]) => ({ rows: await exec(text, values) }) });

/** A workspace's jobs in runs of SEND_BATCH, those due at the same time together. */
function batchesOf(jobs: SendJob[]): SendBatchJob[] {
  const out: SendBatchJob[] = [];
  for (const group of groupBy(jobs, (j) => `${j.workspaceId} ${j.notBefore ?? 0}`).values()) {
    for (let i = 0; i < group.length; i += SEND_BATCH) {
      const part = group.slice(i, i + SEND_BATCH);
      out.push({ workspaceId: part[0]!.workspaceId, messageIds: part.map((j) => j.messageId), ...(part[0]!.notBefore ? { notBefore: part[0]!.notBefore } : {}) });
    }
  }
  return out;
}

/** A batch's id is its first message's, derived: the same page written twice queues it once. */
const batchRow = async (b: SendBatchJob) => ({ id: await uuidOf(`send-batch:${b.messageIds[0]}`), data: b, ...(b.notBefore ? { startAfter: new Date(b.notBefore) } : {}) });

/** The job id is the message id (the dedup QStash's id gives); a revived job is a new job. */
const jobRow = (j: SendJob) => ({ ...(j.revival || j.resumed ? {} : { id: j.messageId }), data: j, ...(j.notBefore ? { startAfter: new Date(j.notBefore) } : {}) });

/** Creates the queue, or brings an existing one to these settings (an upgrade keeps its queue). */
async function ensureQueue(boss: PgBoss, name: string, options: Record<string, unknown>): Promise<void> {
  try {
    await boss.createQueue(name, options);
  } catch (err) {
    if (!/exists/i.test((err as Error).message)) throw err;
    await boss.updateQueue(name, options);
  }
}

async function grantJobInserts(boss: PgBoss, logger: Logger): Promise<boolean> {
  const db = boss.getDb() as { executeSql(text: string, values?: unknown[]): Promise<unknown> };
  try {
    // Exactly the send queue's job table, and reading the queues' settings, which pg-boss's
    // insert joins. Nothing else: pg-boss runs the owner's connection over its own tables
    // (its migration runner executes SQL stored in `bam`), so a write there would let the
    // app role act as the owner. Revoked first, so a wider grant never survives a restart.
    await db.executeSql(`
      do $$ declare t text; begin
        revoke all on all tables in schema sandesh_queue from ${APP_ROLE};
        grant usage on schema sandesh_queue to ${APP_ROLE};
        grant select on sandesh_queue.queue to ${APP_ROLE};
        for t in select distinct table_name from sandesh_queue.queue where name in ('${SEND_QUEUE}', '${SEND_BATCH_QUEUE}') loop
          execute format('grant insert on sandesh_queue.%I to ${APP_ROLE}', t);
        end loop;
      end $$`);
    return true;
  } catch (err) {
    // Then jobs are queued after the message commits, as the QStash adapter does.
    logger.warn("the application role may not insert send jobs; queuing after commit instead", { error: err });
    return false;
  }
}
