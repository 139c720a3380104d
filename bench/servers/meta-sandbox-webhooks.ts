import { startMetaSandbox } from "../../dev/meta-sandbox/index.js";

/** The Meta sandbox in its own process, posting status webhooks to SANDBOX_WEBHOOK_URL as Meta would. */
const sandbox = await startMetaSandbox({
  appSecret: process.env.META_APP_SECRET ?? "x",
  defaultThroughputMps: 1000,
  webhookUrl: process.env.SANDBOX_WEBHOOK_URL,
  statusDelayMs: Number(process.env.SANDBOX_STATUS_DELAY_MS ?? 200),
});
console.log(`READY ${new URL(sandbox.url).port}`);
process.once("SIGTERM", async () => {
  await sandbox.close();
  process.exit(0);
});
