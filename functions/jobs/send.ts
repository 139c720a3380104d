import type { Hono } from "hono";
import * as v from "valibot";
import { AppError } from "../../lib/errors.js";
import { runSendJob } from "../../lib/jobs/send.js";
import { SEND_RETRIES } from "../../lib/queue/port.js";
import { type JobsEnv, verifyQStash } from "./verify.js";

const SendJobSchema = v.object({
  messageId: v.pipe(v.string(), v.uuid()),
  workspaceId: v.pipe(v.string(), v.uuid()),
  maxRetries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(20))),
});

/**
 * POST /jobs/send (QStash). A 2xx ends the job; a 5xx asks QStash to retry with
 * backoff. On the last delivery the job itself records the failure and answers 200.
 */
export const registerSendJob = (app: Hono<JobsEnv>) =>
  app.post("/send", verifyQStash, async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(c.get("rawBody"));
    } catch {
      body = null;
    }
    const parsed = v.safeParse(SendJobSchema, body);
    // A signed but malformed job will never succeed: 489 tells QStash not to retry it.
    if (!parsed.success) {
      c.header("Upstash-NonRetryable-Error", "true");
      throw new AppError(489, "invalid_job", "The job body is not a send job");
    }
    const retried = Number(c.req.header("upstash-retried") ?? "0");
    const { maxRetries, ...job } = parsed.output;
    const outcome = await runSendJob(c.env.services, job, { retried: Number.isFinite(retried) ? retried : 0, maxRetries: maxRetries ?? SEND_RETRIES });
    return c.json(outcome, outcome.kind === "retry" ? 503 : 200);
  });
