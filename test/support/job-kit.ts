import { afterAll, beforeAll } from "vitest";
import { createServer, type AddressInfo } from "node:net";
import { createEndpoint } from "../../lib/webhooks/endpoints.js";
import { connectTestNumber, setLimits } from "./senders.js";
import { startMetaSandbox, type MetaSandbox } from "../../dev/meta-sandbox/index.js";
import { startWorkers } from "../../dev/queue.js";
import { serveStack } from "./served.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./stack.js";
import { startReceiver, type Receiver } from "./webhook-receiver.js";

let tokens = 0;

/**
 * A workspace with a number registered at the sandbox, an endpoint recording every event
 * it forwards, and helpers to send, read a message back and list its forwarded events.
 */
export async function jobSender(stack: TestStack, sandbox: MetaSandbox, endpointUrl: string, opts: { throughput?: number } = {}) {
  const t = await stack.tenant();
  await setLimits(stack, t.workspaceId, { apiKey: { limit: 1000, periodMs: 1000 }, ip: { limit: 1000, periodMs: 1000 }, workspace: { limit: 1000, periodMs: 1000 } });
  const token = `EAAGjobToken${Date.now()}x${tokens++}abcdefghijklmnop`;
  const number = await connectTestNumber(stack, t.workspaceId, { token, throughput: opts.throughput ?? 1000 });
  sandbox.registerNumber(number.phone_number_id, token, { throughputMps: 1000 });
  await createEndpoint(stack.services, t.workspaceId, { url: endpointUrl, description: null, events: null } as never, { actorType: "operator", actorId: "test" });
  const send = async (to: string, extra: Record<string, unknown> = {}) => {
    const res = await stack.request("/v1/messages", {
      method: "POST",
      headers: { authorization: `Bearer ${t.key}` },
      body: JSON.stringify({ to, type: "template", template: { name: "order_update", language: { code: "en_US" }, category: "UTILITY" }, ...extra }),
    });
    if (res.status !== 202) throw new Error(`send answered ${res.status}: ${await res.text()}`);
    return (await res.json()).id as string;
  };
  const get = async (id: string) => (await stack.request(`/v1/messages/${id}`, { headers: { authorization: `Bearer ${t.key}` } })).json();
  /** The events forwarded for one message, in the order they were recorded. */
  const events = async (id: string) =>
    (await stack.owner<{ body: string }[]>`select body from webhook_deliveries where workspace_id = ${t.workspaceId} order by created_at, id`)
      .map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> })
      .filter((e) => e.data.id === id);
  return { ...t, number, token, send, get, events };
}

/** A TCP port nothing listens on: a Redis that is down. */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface JobStack {
  stack: TestStack;
  sandbox: MetaSandbox;
  receiver: Receiver;
  close(): Promise<void>;
}

/** A stack with a local queue nobody consumes (the test plays it), served to a Meta sandbox that posts statuses back. */
export async function startJobStack(): Promise<JobStack> {
  const sandbox = await startMetaSandbox({ appSecret: TEST_SECRETS.META_APP_SECRET, statusDelayMs: 5 });
  const stack = await createTestStack({ META_GRAPH_URL: sandbox.url }, { localQueue: true });
  const served = await serveStack(stack);
  sandbox.setWebhookUrl(`${served.url}/webhooks/meta`);
  const receiver = await startReceiver();
  return {
    stack,
    sandbox,
    receiver,
    async close() {
      await served.close();
      await stack.close();
      await sandbox.close();
      await receiver.close();
    },
  };
}

/** startJobStack for the file: started before its tests, closed after them. */
export function useJobStack(): JobStack {
  const handle = {} as JobStack;
  beforeAll(async () => void Object.assign(handle, await startJobStack()));
  afterAll(() => handle.close?.());
  return handle;
}

/**
 * For suites that go end to end: a job stack whose queue is worked (as `npm start` does)
 * and one sender in it, for the file. `stopWorkers` and `startWorkers` let a test play
 * the queue for a while.
 */
export function useWorkedStack() {
  const h = {} as JobStack & { s: Awaited<ReturnType<typeof jobSender>>; stopWorkers(): void; startWorkers(): Promise<void> };
  let stop: (() => void) | undefined;
  beforeAll(async () => {
    Object.assign(h, await startJobStack());
    h.startWorkers = async () => void (stop = await startWorkers(h.stack.services, { concurrency: 4 }));
    h.stopWorkers = () => stop?.();
    await h.startWorkers();
    h.s = await jobSender(h.stack, h.sandbox, h.receiver.url);
  });
  afterAll(async () => {
    h.stopWorkers?.();
    await h.close?.();
  });
  return h;
}
