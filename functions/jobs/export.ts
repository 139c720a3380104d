import type { Hono } from "hono";
import * as v from "valibot";
import { produceExport } from "../../lib/exports/produce.js";
import { readJob } from "./read-job.js";
import { type JobsEnv, verifyQStash } from "./verify.js";
import { open } from "../middleware/permission.js";

const ExportJobSchema = v.object({
  exportId: v.pipe(v.string(), v.uuid()),
  workspaceId: v.pipe(v.string(), v.uuid()),
  revival: v.optional(v.number()),
  maxRetries: v.optional(v.number()),
});

/** POST /jobs/export (QStash): produces one approved export. A crash answers 5xx and QStash retries; the retry takes the export over. */
export const registerExportJob = (app: Hono<JobsEnv>) =>
  app.post("/export", open("a queue callback: QStash's signature is verified first"), verifyQStash, async (c) => {
    const { job } = readJob(c, ExportJobSchema, "an export job", 10);
    return c.json({ ok: true, outcome: await produceExport(c.env.services, job) });
  });
