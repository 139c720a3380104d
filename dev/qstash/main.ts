import { startLocalQStash } from "./server.js";

/**
 * `npx tsx dev/qstash/main.ts`: the local QStash on its own. Prints the four variables a
 * Sandesh process needs. Keys and token are generated unless QSTASH_TOKEN,
 * QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY are set; QSTASH_DEV_PORT
 * (default 8080) and QSTASH_DEV_HOST (default 127.0.0.1) place it. Messages live in
 * memory: stopping it drops everything pending.
 */
const env = process.env;
const qstash = await startLocalQStash({
  ...(env.QSTASH_TOKEN ? { token: env.QSTASH_TOKEN } : {}),
  ...(env.QSTASH_CURRENT_SIGNING_KEY ? { currentSigningKey: env.QSTASH_CURRENT_SIGNING_KEY } : {}),
  ...(env.QSTASH_NEXT_SIGNING_KEY ? { nextSigningKey: env.QSTASH_NEXT_SIGNING_KEY } : {}),
  port: Number(env.QSTASH_DEV_PORT ?? 8080),
  host: env.QSTASH_DEV_HOST ?? "127.0.0.1",
});
console.log(`Local QStash on ${qstash.url} (in memory; see dev/qstash/README.md)`);
for (const [k, v] of Object.entries(qstash.env())) console.log(`${k}=${v}`);
qstash.events.on("attempt", (e: { messageId: string; url: string; retried: number; status?: number; error?: string }) => {
  console.log(`${e.messageId} → ${e.url} retried=${e.retried} ${e.status ?? e.error}`);
});
qstash.events.on("dlq", (d: { messageId: string; dlqId: string }) => console.log(`${d.messageId} dead-lettered as ${d.dlqId}`));
const stop = async () => {
  await qstash.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
