import type { Hono } from "hono";
import * as v from "valibot";
import { runBroadcast } from "../../lib/broadcasts/run.js";
import { readJob } from "./read-job.js";
import { type JobsEnv, verifyQStash } from "./verify.js";
import { open } from "../middleware/permission.js";

const BroadcastJobSchema = v.object({
  broadcastId: v.pipe(v.string(), v.uuid()),
  workspaceId: v.pipe(v.string(), v.uuid()),
  watch: v.optional(v.pipe(v.string(), v.uuid())),
  maxRetries: v.optional(v.number()),
});

/**
 * POST /jobs/broadcast (QStash): one stretch of a broadcast's run. A crash answers 5xx
 * and QStash retries; the run resumes from the cursor on its row.
 */
export const registerBroadcastJob = (app: Hono<JobsEnv>) =>
  app.post("/broadcast", open("a queue callback: QStash's signature is verified first"), verifyQStash, async (c) => {
    const { job } = readJob(c, BroadcastJobSchema, "a broadcast job", 10);
    await runBroadcast(c.env.services, job);
    return c.json({ ok: true });
  });
