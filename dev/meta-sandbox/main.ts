import { startMetaSandbox } from "./server.js";

/**
 * `npm run sandbox:meta`: the sandbox on its own, for manual runs. Point Sandesh's
 * META_GRAPH_URL at the printed URL; webhooks go to META_SANDBOX_WEBHOOK_URL
 * (default: the local Sandesh at PUBLIC_URL or http://localhost:8787, /webhooks/meta).
 */
const env = process.env;
const appSecret = env.META_APP_SECRET;
if (!appSecret) {
  console.error("The Meta sandbox signs webhooks with META_APP_SECRET; set it to the same value Sandesh uses.");
  process.exit(1);
}
const webhookUrl = env.META_SANDBOX_WEBHOOK_URL ?? `${(env.PUBLIC_URL ?? "http://localhost:8787").replace(/\/$/, "")}/webhooks/meta`;
const sandbox = await startMetaSandbox({
  appSecret,
  webhookUrl,
  port: Number(env.META_SANDBOX_PORT ?? 8790),
  host: env.META_SANDBOX_HOST ?? "127.0.0.1",
  statusDelayMs: Number(env.META_SANDBOX_STATUS_DELAY_MS ?? 500),
  // Meta's retry schedule in real time unless told otherwise (0.01: a hundred times faster).
  webhookRetry: { timeScale: Number(env.META_SANDBOX_RETRY_TIME_SCALE ?? 1) },
});
console.log(`Meta sandbox on ${sandbox.url} (META_GRAPH_URL=${sandbox.url}); webhooks to ${webhookUrl}; see dev/meta-sandbox/README.md for failure recipes`);
const stop = async () => {
  await sandbox.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
