import { Hono } from "hono";
import { registerBroadcastJob } from "./broadcast.js";
import { registerDeliverWebhookJob } from "./deliver-webhook.js";
import { registerExportJob } from "./export.js";
import { registerImportJob } from "./import.js";
import { registerSendJob } from "./send.js";
import type { JobsEnv } from "./verify.js";

/** Queue callbacks, mounted at /jobs. Every route verifies QStash's signature first. */
export function jobsApp() {
  const app = new Hono<JobsEnv>();
  registerSendJob(app);
  registerDeliverWebhookJob(app);
  registerBroadcastJob(app);
  registerImportJob(app);
  registerExportJob(app);
  return app;
}
