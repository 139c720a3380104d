import { Client } from "@upstash/qstash";
import { GroupCommit } from "../batch.js";
import type { BroadcastJob, ExportJob, ImportJob, QueuePort, SendFlow, SendJob, WebhookJob } from "./port.js";
import { SEND_RETRIES, WEBHOOK_RETRIES } from "./port.js";

/** QStash's own retries of a webhook job only re-run an attempt whose callback failed (503, crash). */
const WEBHOOK_CALLBACK_RETRIES = 3;

export const SEND_JOB_PATH = "/jobs/send";
export const WEBHOOK_JOB_PATH = "/jobs/deliver-webhook";
/** Webhook callbacks of one workspace QStash runs at once. */
export const WEBHOOK_WORKSPACE_PARALLELISM = 10;
export const BROADCAST_JOB_PATH = "/jobs/broadcast";
export const IMPORT_JOB_PATH = "/jobs/import";
export const EXPORT_JOB_PATH = "/jobs/export";

/** QStash adapter: publishes to ${PUBLIC_URL}/jobs/send; QStash calls back signed. */
export function createQStashQueue(opts: { token: string; baseUrl?: string; publicUrl: string; retries?: number }): QueuePort {
  const retries = opts.retries ?? SEND_RETRIES;
  const client = new Client({ token: opts.token, ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}), retry: { retries: 2 } });
  // Group commit: concurrent enqueues go out as one POST /v2/batch.
  const sends = new GroupCommit<{ job: SendJob; flow: SendFlow }>(async (items) => {
    await client.batchJSON(
      items.map(({ job, flow }) => ({
        url: `${opts.publicUrl}${SEND_JOB_PATH}`,
        // The retry budget travels in the signed body: the callback knows its last attempt.
        body: { ...job, maxRetries: retries },
        // A second publish of the same message (a retried request, the sweep) is dropped by QStash.
        // A revived job (the lease sweep's) must not be taken for the lost one.
        deduplicationId: job.revival ? `${job.messageId}-r${job.revival}` : job.resumed ? `${job.messageId}-b${job.resumed}` : job.messageId,
        ...(job.notBefore ? { notBefore: Math.ceil(job.notBefore / 1000) } : {}),
        retries,
        flowControl: { key: `wa_${flow.numberId}`, rate: flow.perSecond, period: "1s", parallelism: Math.max(1, Math.min(flow.perSecond, 100)) },
      })),
    );
  }, { maxBatch: 100, maxInFlight: 4 });
  const webhooks = new GroupCommit<{ job: WebhookJob; delaySeconds: number }>(async (items) => {
    await client.batchJSON(
      items.map(({ job, delaySeconds }) => ({
        url: `${opts.publicUrl}${WEBHOOK_JOB_PATH}`,
        body: { ...job, maxRetries: WEBHOOK_RETRIES },
        // One message per attempt: the retry schedule is Sandesh's (WEBHOOK_RETRY_DELAYS_S), not QStash's backoff.
        deduplicationId: `webhook-${job.deliveryId}${job.retried ? `-${job.retried}` : ""}${job.postponed ? `-p${job.postponed}` : ""}`,
        // Fair share: one workspace's callbacks in flight at once are capped, whatever its receivers do.
        flowControl: { key: `wh_${job.workspaceId}`, parallelism: WEBHOOK_WORKSPACE_PARALLELISM },
        retries: WEBHOOK_CALLBACK_RETRIES,
        ...(delaySeconds > 0 ? { delay: delaySeconds } : {}),
        // The job itself gives the receiver 10 s; this bounds the whole callback.
        timeout: 30,
      })),
    );
  }, { maxBatch: 100, maxInFlight: 4 });
  return {
    kind: "qstash",
    enqueueSend: (job: SendJob, flow: SendFlow) => sends.add({ job, flow }),
    // QStash's backoff: min(1 day, e^(2.5·n)) seconds after the n-th retry; a minute's slack for delivery.
    retryWithinMs: (retried: number) => (Math.min(86_400, Math.exp(2.5 * retried)) + 60) * 1000,
    enqueueWebhook: (job: WebhookJob, o?: { delaySeconds?: number }) => webhooks.add({ job, delaySeconds: o?.delaySeconds ?? 0 }),
    async enqueueBroadcast(job: BroadcastJob, o?: { notBefore?: Date }) {
      await client.publishJSON({
        url: `${opts.publicUrl}${BROADCAST_JOB_PATH}`,
        body: job,
        retries: 10,
        ...(o?.notBefore ? { notBefore: Math.ceil(o.notBefore.getTime() / 1000) } : {}),
        timeout: 60,
      });
    },
    async enqueueImport(job: ImportJob) {
      await client.publishJSON({
        url: `${opts.publicUrl}${IMPORT_JOB_PATH}`,
        body: job,
        retries: 10,
        deduplicationId: `import-${job.importId}-${job.from ?? 0}${job.revival ? `-r${job.revival}` : ""}`,
        timeout: 120,
      });
    },
    async enqueueExport(job: ExportJob) {
      await client.publishJSON({
        url: `${opts.publicUrl}${EXPORT_JOB_PATH}`,
        body: job,
        retries: 10,
        deduplicationId: `export-${job.exportId}${job.revival ? `-r${job.revival}` : ""}`,
        timeout: 300,
      });
    },
    close: async () => {},
  };
}
