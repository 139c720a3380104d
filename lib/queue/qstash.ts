import { Client } from "@upstash/qstash";
import type { QueuePort, SendFlow, SendJob } from "./port.js";
import { SEND_RETRIES } from "./port.js";

export const SEND_JOB_PATH = "/jobs/send";

/** QStash adapter: publishes to ${PUBLIC_URL}/jobs/send; QStash calls back signed. */
export function createQStashQueue(opts: { token: string; baseUrl?: string; publicUrl: string }): QueuePort {
  const client = new Client({ token: opts.token, ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}), retry: { retries: 2 } });
  return {
    kind: "qstash",
    async enqueueSend(job: SendJob, flow: SendFlow) {
      await client.publishJSON({
        url: `${opts.publicUrl}${SEND_JOB_PATH}`,
        body: job,
        // A second publish of the same message (a retried request, the sweep) is dropped by QStash.
        deduplicationId: job.messageId,
        retries: SEND_RETRIES,
        flowControl: { key: `wa_${flow.numberId}`, rate: flow.perSecond, period: "1s", parallelism: Math.max(1, Math.min(flow.perSecond, 100)) },
      });
    },
    close: async () => {},
  };
}
