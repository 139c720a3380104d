import { startMetaSandbox } from "../../dev/meta-sandbox/index.js";

/** The Meta sandbox in its own process, as Meta is another machine: its CPU is not the worker's. */
const sandbox = await startMetaSandbox({ appSecret: process.env.META_APP_SECRET ?? "x", defaultThroughputMps: 1000 });
console.log(`READY ${new URL(sandbox.url).port}`);
process.once("SIGTERM", async () => {
  await sandbox.close();
  process.exit(0);
});
