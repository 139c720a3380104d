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
}

/**
 * Outgoing webhooks get a longer budget than sends: a customer's server may be down
 * for an hour, and every event must still arrive (QStash: its own exponential backoff;
 * local queue: 30 s doubling, capped at an hour).
 */
export const WEBHOOK_RETRIES = 8;

export interface WebhookJob {
  deliveryId: string;
  workspaceId: string;
  /** Set by the QStash adapter: how many retries it asked QStash for. */
  maxRetries?: number;
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
   * Queues living in the same PostgreSQL only: send jobs inserted by the transaction that
   * writes their messages, so a message and its job commit together or not at all, and
   * an accepted message waits on one commit instead of two.
   */
  insertSendsIn?(exec: SqlExec, jobs: SendJob[]): Promise<void>;
  /** One delivery of an outgoing webhook; a second enqueue of the same delivery is dropped. */
  enqueueWebhook(job: WebhookJob): Promise<void>;
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
  close: async () => {},
};
