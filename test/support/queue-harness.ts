import { startMetaSandbox, type MetaSandbox } from "../../dev/meta-sandbox/index.js";
import { startWorkers } from "../../dev/queue.js";
import { createLocalQueue } from "../../lib/queue/pgboss.js";
import { serveLater, serveStack } from "./served.js";
import { startLocalQStash } from "../../dev/qstash/server.js";
import { createQStashQueue } from "../../lib/queue/qstash.js";
import { connectTestNumber, setLimits } from "./senders.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./stack.js";

/**
 * One end-to-end rig per queue adapter: a stack whose `services.queue` is the adapter
 * under test, the Meta sandbox, and whatever consumes the queue. The shared suite
 * drives it only through the API and observes only what a user would.
 */
export interface QueueRig {
  name: string;
  stack: TestStack;
  sandbox: MetaSandbox;
  retries: number;
  close(): Promise<void>;
}

/** `statusDelayMs`: how long after a send (and after each other) the sandbox posts its statuses back. */
export interface RigOptions {
  statusDelayMs?: number;
}

export async function localRig(retries: number, opts: RigOptions = {}): Promise<QueueRig> {
  const sandbox = await startMetaSandbox({ appSecret: TEST_SECRETS.META_APP_SECRET, statusDelayMs: opts.statusDelayMs ?? 5 });
  const stack = await createTestStack({ META_GRAPH_URL: sandbox.url });
  const queue = await createLocalQueue({ connectionString: stack.config.migrationDatabaseUrl, logger: stack.services.logger, retryDelaySeconds: 1, pollSeconds: 0.5, retries });
  stack.services.queue = queue;
  const served = await serveStack(stack);
  sandbox.setWebhookUrl(`${served.url}/webhooks/meta`);
  const stop = await startWorkers(stack.services, { concurrency: 2 });
  return {
    name: "local (pg-boss)",
    stack,
    sandbox,
    retries,
    async close() {
      stop();
      await queue.close();
      await served.close();
      await stack.close();
      await sandbox.close();
    },
  };
}

/** QStash: the real client publishes to the local QStash, which calls /jobs/send signed. */
export async function qstashRig(retries: number, opts: RigOptions = {}): Promise<QueueRig> {
  const sandbox = await startMetaSandbox({ appSecret: TEST_SECRETS.META_APP_SECRET, statusDelayMs: opts.statusDelayMs ?? 5 });
  // Backoff shortened for the test; the server's default is QStash's own formula.
  const qstash = await startLocalQStash({ backoff: () => 200 });
  const served = await serveLater();
  const stack = await createTestStack({
    META_GRAPH_URL: sandbox.url,
    PUBLIC_URL: served.url,
    QSTASH_URL: qstash.url,
    QSTASH_TOKEN: qstash.token,
    QSTASH_CURRENT_SIGNING_KEY: qstash.currentSigningKey,
    QSTASH_NEXT_SIGNING_KEY: qstash.nextSigningKey,
  });
  stack.services.queue = createQStashQueue({ token: qstash.token, baseUrl: qstash.url, publicUrl: served.url, retries });
  served.attach(stack);
  sandbox.setWebhookUrl(`${served.url}/webhooks/meta`);
  return {
    name: "QStash (local)",
    stack,
    sandbox,
    retries,
    async close() {
      await served.close();
      await qstash.close();
      await stack.close();
      await sandbox.close();
    },
  };
}

let n = 0;
/** A tenant with a number the sandbox knows, and a helper that sends a utility template. */
export async function rigSender(rig: QueueRig) {
  const t = await rig.stack.tenant();
  await setLimits(rig.stack, t.workspaceId, { apiKey: { limit: 1000, periodMs: 1000 }, ip: { limit: 1000, periodMs: 1000 }, workspace: { limit: 1000, periodMs: 1000 } });
  const token = `EAAQueueRigToken${Date.now()}${n++}abcdefghijkl`;
  const num = await connectTestNumber(rig.stack, t.workspaceId, { token });
  rig.sandbox.registerNumber(num.phone_number_id, token, { throughputMps: 1000 });
  const send = async (to: string) => {
    const res = await rig.stack.request("/v1/messages", {
      method: "POST",
      headers: { authorization: `Bearer ${t.key}` },
      body: JSON.stringify({ to, type: "template", template: { name: "order_update", language: { code: "en_US" }, category: "UTILITY" } }),
    });
    if (res.status !== 202) throw new Error(`send answered ${res.status}: ${await res.text()}`);
    return (await res.json()).id as string;
  };
  return { ...t, number: num, send };
}
