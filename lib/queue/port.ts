/**
 * The queue port. Two adapters deliver the same jobs to the same functions:
 * QStash (edge, or anyone with QStash) over signed HTTP callbacks, and a durable
 * Postgres-backed local queue (pg-boss) consumed in the Node process. Both dedupe on
 * the message id and retry with exponential backoff up to SEND_RETRIES.
 */
export const SEND_RETRIES = 5;

export interface SendJob {
  messageId: string;
  workspaceId: string;
  /** Set by the QStash adapter: how many retries it asked QStash for. */
  maxRetries?: number;
  /**
   * Set by the lease sweep when a message's job is gone (its attempts lapsed): the claim
   * count it revives at, so the revived job is a new one to the queue's deduplication.
   */
  revival?: number;
  /** Set when a resumed broadcast hands its queued messages back: its resume count, so the job is new to deduplication. */
  resumed?: number;
  /** Unix ms: the job is not delivered before then (a broadcast's recipients beyond its messaging tier). */
  notBefore?: number;
}

/**
 * The sends of up to SEND_BATCH messages of one workspace written together (a broadcast's
 * page): one job of the local queue instead of one per message. Its attempt is every
 * message's; a message that asks to be retried retries the job, and the messages of it
 * already sent or ended find nothing to claim (lib/jobs/claim.ts).
 */
export interface SendBatchJob {
  workspaceId: string;
  messageIds: string[];
  /** Unix ms: not delivered before then (the page's recipients beyond the messaging tier). */
  notBefore?: number;
}
/** Messages per batch job: what one send worker claims at once. */
export const SEND_BATCH = 50;

/** Runs (or continues, or finishes) one broadcast: lib/broadcasts/run.ts. */
export interface BroadcastJob {
  broadcastId: string;
  workspaceId: string;
  /** Set on the watch after the audience is written: the token that makes it the one watch (lib/broadcasts/settle.ts). */
  watch?: string;
}

/** Parses (or continues) one contacts import from its checkpoint: lib/contacts/import-run.ts. */
export interface ImportJob {
  importId: string;
  workspaceId: string;
  /** The checkpoint it continues from: a continuation is a new job to deduplication, a repeat is not. */
  from?: number;
  /** Set by the sweep: a new job even where one from the same checkpoint ran (and failed) before. */
  revival?: number;
}

/** Produces one approved export's file: lib/exports/produce.ts. */
export interface ExportJob {
  exportId: string;
  workspaceId: string;
  /** Set by the sweep: a new job where the first was lost. */
  revival?: number;
}

/**
 * Outgoing webhooks follow the schedule receivers know from Svix: the first attempt at
 * once, then retries 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after the attempt
 * before (8 attempts over about 27 h 35 min); after the 8th the delivery is failed.
 * On both queues each retry is a job of its own, queued with exactly this delay by the
 * attempt that failed; the queue's own retries only re-run an attempt whose job crashed.
 */
export const WEBHOOK_RETRY_DELAYS_S = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600] as const;
export const WEBHOOK_RETRIES = WEBHOOK_RETRY_DELAYS_S.length;
/** The delay before retry n + 1 (n retries done so far). */
export const webhookRetryDelayS = (retried: number): number => WEBHOOK_RETRY_DELAYS_S[Math.min(retried, WEBHOOK_RETRIES - 1)]!;

export interface WebhookJob {
  deliveryId: string;
  workspaceId: string;
  /** How many retries came before this attempt (0 or absent: the first attempt). */
  retried?: number;
  /** Set by the QStash adapter: the retry budget, so the job knows its last attempt. */
  maxRetries?: number;
  /** How often this attempt waited for its endpoint's open circuit: each wait is a job of its own. */
  postponed?: number;
}

export interface SendFlow {
  /** Jobs of one sender number share a flow, paced at its throughput. */
  numberId: string;
  perSecond: number;
}

/** Runs one statement inside the caller's transaction and answers its rows. */
export type SqlExec = (text: string, values: unknown[]) => Promise<unknown[]>;

export interface QueuePort {
  readonly kind: "qstash" | "local";
  enqueueSend(job: SendJob, flow: SendFlow): Promise<void>;
  /**
   * The longest the queue may wait before the next delivery of a job that asked to be
   * retried after `retried` retries: a message handed back is due again by then (plus
   * a lease), or the sweep takes it that its job is gone.
   */
  retryWithinMs?(retried: number): number;
  /**
   * Queues living in the same PostgreSQL only: send jobs inserted by the transaction that
   * writes their messages, so a message and its job commit together or not at all, and
   * an accepted message waits on one commit instead of two.
   */
  insertSendsIn?(exec: SqlExec, jobs: SendJob[]): Promise<void>;
  /**
   * The same, for many messages of one workspace written at once (a broadcast's page):
   * their sends as batch jobs (SendBatchJob), each job one insert and one fetch for its
   * SEND_BATCH messages. Jobs of a revival or a resume stay single (insertSendsIn).
   */
  insertSendBatchesIn?(exec: SqlExec, jobs: SendJob[]): Promise<void>;
  /**
   * One attempt at an outgoing webhook, after `delaySeconds` (default at once); a second
   * enqueue of the same delivery and attempt is dropped.
   */
  enqueueWebhook(job: WebhookJob, opts?: { delaySeconds?: number }): Promise<void>;
  /** A broadcast's run, not before `notBefore` (QStash's Upstash-Not-Before, pg-boss's startAfter). */
  enqueueBroadcast(job: BroadcastJob, opts?: { notBefore?: Date }): Promise<void>;
  /** A contacts import's run (a second enqueue from the same checkpoint is dropped). */
  enqueueImport(job: ImportJob): Promise<void>;
  /** An approved export's production (a second enqueue of the same job is dropped). */
  enqueueExport(job: ExportJob): Promise<void>;
  close(): Promise<void>;
}

/** Where a job stands when it runs: the transport tells, the job decides if this is the last try. */
export interface Attempt {
  retried: number;
  maxRetries: number;
}

const NO_QUEUE = "no queue is configured: set QSTASH_TOKEN, or run the Node process with its local queue";
/** Where no queue is configured: accepting a message fails cleanly (503) instead of losing it. */
export const noQueue: QueuePort = {
  kind: "local",
  enqueueSend: async () => {
    throw new Error(NO_QUEUE);
  },
  enqueueWebhook: async () => {
    throw new Error(NO_QUEUE);
  },
  enqueueBroadcast: async () => {
    throw new Error(NO_QUEUE);
  },
  enqueueImport: async () => {
    throw new Error(NO_QUEUE);
  },
  enqueueExport: async () => {
    throw new Error(NO_QUEUE);
  },
  close: async () => {},
};
