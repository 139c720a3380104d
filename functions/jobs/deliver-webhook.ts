import type { Hono } from "hono";
import * as v from "valibot";
import { WEBHOOK_RETRIES } from "../../lib/queue/port.js";
import { runWebhookAttempt } from "../../lib/webhooks/deliver.js";
import { readJob } from "./read-job.js";
import { type JobsEnv, verifyQStash } from "./verify.js";
import { open } from "../middleware/permission.js";

const WebhookJobSchema = v.object({
  deliveryId: v.pipe(v.string(), v.uuid()),
  workspaceId: v.pipe(v.string(), v.uuid()),
  retried: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(30))),
  maxRetries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(30))),
});

/**
 * POST /jobs/deliver-webhook (QStash): one attempt at one delivery. A 2xx ends the
 * job (delivered, failed for good, the next attempt queued with its delay, or nothing
 * left to do); a 503 asks QStash to run this attempt again. Which attempt this is
 * travels in the signed body (`retried`), not in Upstash-Retried: each retry is a
 * message of its own. The receiver's own answer is recorded, never passed through.
 */
export const registerDeliverWebhookJob = (app: Hono<JobsEnv>) =>
  app.post("/deliver-webhook", open("a queue callback: QStash's signature is verified first"), verifyQStash, async (c) => {
    const { job: { retried, ...job }, attempt } = readJob(c, WebhookJobSchema, "a webhook delivery", WEBHOOK_RETRIES);
    const outcome = await runWebhookAttempt(c.env.services, job, { ...attempt, retried: retried ?? 0 });
    return c.json(outcome, outcome.kind === "retry" ? 503 : 200);
  });
