import type { Hono } from "hono";
import * as v from "valibot";
import { runSendJob } from "../../lib/jobs/send.js";
import { SEND_RETRIES } from "../../lib/queue/port.js";
import { readJob } from "./read-job.js";
import { type JobsEnv, verifyQStash } from "./verify.js";
import { open } from "../middleware/permission.js";

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
  app.post("/send", open("a queue callback: QStash's signature is verified first"), verifyQStash, async (c) => {
    const { job, attempt } = readJob(c, SendJobSchema, "a send job", SEND_RETRIES);
    const outcome = await runSendJob(c.env.services, job, attempt);
    return c.json(outcome, outcome.kind === "retry" ? 503 : 200);
  });
