import type { Hono } from "hono";
import * as v from "valibot";
import { runImport } from "../../lib/contacts/import-run.js";
import { readJob } from "./read-job.js";
import { type JobsEnv, verifyQStash } from "./verify.js";
import { open } from "../middleware/permission.js";

const ImportJobSchema = v.object({
  importId: v.pipe(v.string(), v.uuid()),
  workspaceId: v.pipe(v.string(), v.uuid()),
  from: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  revival: v.optional(v.number()),
  maxRetries: v.optional(v.number()),
});

/**
 * POST /jobs/import (QStash): one stretch of a contacts import. A crash answers 5xx and
 * QStash retries; the run resumes from the checkpoint on the import's row.
 */
export const registerImportJob = (app: Hono<JobsEnv>) =>
  app.post("/import", open("a queue callback: QStash's signature is verified first"), verifyQStash, async (c) => {
    const { job } = readJob(c, ImportJobSchema, "an import job", 10);
    return c.json({ ok: true, outcome: await runImport(c.env.services, job) });
  });
