import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "../db/tenant.js";
import type { Services } from "../lib/context.js";
import { WEBHOOK_RETRIES } from "../lib/queue/port.js";
import { CONNECTION_FAILED, deliverWebhook } from "../lib/webhooks/deliver.js";
import { recordEvents, type OutgoingEvent } from "../lib/webhooks/emit.js";
import { createNodeWebhookPost, type Resolve } from "../lib/webhooks/node-post.js";
import type { WebhookPost } from "../lib/webhooks/transport.js";
import { createTestStack, type TestStack } from "./support/stack.js";
import { startReceiver, type Receiver } from "./support/webhook-receiver.js";

// The name an endpoint gives is resolved by Sandesh, checked, and connected to as
// checked; an attempt that got no answer tells the tenant nothing about why. DNS is the
// one thing stood in for: a resolver that answers what the test says.

let dev: TestStack;
let prod: TestStack;
let receiver: Receiver;
beforeAll(async () => {
  dev = await createTestStack();
  prod = await createTestStack({ SANDESH_ENV: "production", PUBLIC_URL: "https://sandesh.example.com", TRUST_PROXY: "none" });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await dev?.close();
  await prod?.close();
});

/** A TCP port that counts the connections it gets, and resets each one at once. */
async function resettingPort(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server: Server = createServer((socket) => {
    n++;
    socket.resetAndDestroy();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as AddressInfo).port, connections: () => n, close: () => new Promise((r) => server.close(() => r())) };
}

function resolver(answers: Record<string, string[]>): Resolve & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    const found = answers[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return found.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

/** One endpoint at `url` (written as the API would have stored it), one event, one attempt through `post`. */
async function attempt(stack: TestStack, url: string, post: WebhookPost) {
  const t = await stack.tenant();
  const created = await stack.request("/v1/webhook-endpoints", { method: "POST", headers: { authorization: `Bearer ${t.key}` }, body: JSON.stringify({ url: "https://hooks.example.com/in" }) });
  const { id } = await created.json();
  await stack.owner`update webhook_endpoints set url = ${url} where id = ${id}`;
  stack.services.caches.webhookEndpoints.clear();
  const event: OutgoingEvent = { type: "message.sent", timestamp: new Date(), data: { id: crypto.randomUUID() } };
  await withTenant(stack.services.db, t.workspaceId, (tx) => recordEvents(stack.services, tx, t.workspaceId, [event]));
  const [d] = await stack.owner`select id from webhook_deliveries where endpoint_id = ${id}`;
  const services: Services = { ...stack.services, webhookPost: post };
  const outcome = await deliverWebhook(services, { deliveryId: d!.id, workspaceId: t.workspaceId }, { retried: 0, maxRetries: WEBHOOK_RETRIES });
  const { data } = await (await stack.request(`/v1/webhook-endpoints/${id}/attempts`, { headers: { authorization: `Bearer ${t.key}` } })).json();
  return { outcome, attempts: data as Record<string, unknown>[] };
}

const unanswered = { status_code: null, succeeded: false, response_body: null, duration_ms: 0, error: CONNECTION_FAILED };

describe("in production, a name is resolved, every address checked, and the checked one connected to", () => {
  it("a public name that resolves to loopback (DNS rebinding) is never connected to", async () => {
    const port = await resettingPort();
    const dns = resolver({ "hooks.example.com": ["127.0.0.1"] });
    const { attempts } = await attempt(prod, `https://hooks.example.com:${port.port}/in`, createNodeWebhookPost({ production: true, resolve: dns }));
    expect(dns.calls).toEqual(["hooks.example.com"]);
    expect(port.connections()).toBe(0);
    expect(attempts).toEqual([expect.objectContaining(unanswered)]);
    expect(prod.logs.some((l) => l.includes("address not public"))).toBe(true);
    await port.close();
  });

  it.each([
    ["a private address among public ones", ["93.184.216.34", "10.0.0.7"]],
    ["the metadata service", ["169.254.169.254"]],
    ["an IPv4-mapped loopback", ["::ffff:127.0.0.1"]],
    ["a unique-local IPv6 address after a public one", ["2606:4700:4700::1111", "fd00::5"]],
  ])("a name resolving to %s is refused before any connection, and looks like any other failure", async (_what, addresses) => {
    const dns = resolver({ "hooks.example.com": addresses });
    const { outcome, attempts } = await attempt(prod, "https://hooks.example.com/in", createNodeWebhookPost({ production: true, resolve: dns }));
    expect(outcome.kind).toBe("retry");
    expect(attempts).toEqual([expect.objectContaining(unanswered)]);
  });

  it("an answer from an address nobody checked (the Worker's fetch) keeps its status but not its body", async () => {
    const unchecked: WebhookPost = async () => ({ status: 500, head: "<title>Jenkins admin</title>", verifiedPublic: false });
    const { attempts } = await attempt(prod, "https://hooks.example.com/in", unchecked);
    expect(attempts).toEqual([expect.objectContaining({ status_code: 500, response_body: null })]);
    const checked: WebhookPost = async () => ({ status: 500, head: "try later", verifiedPublic: true });
    expect((await attempt(prod, "https://hooks.example.com/in", checked)).attempts).toEqual([expect.objectContaining({ status_code: 500, response_body: "try later" })]);
  });
});

describe("outside production too, the connection goes where the name was resolved to", () => {
  it("resolves once and connects to that address, sending the name as Host", async () => {
    const name = "rebind.sandesh-test.localhost";
    const dns = resolver({ [name]: ["127.0.0.1"] });
    const port = new URL(receiver.url).port;
    const { outcome, attempts } = await attempt(dev, `http://${name}:${port}/pinned`, createNodeWebhookPost({ production: false, resolve: dns }));
    expect(outcome).toEqual({ kind: "delivered", status: 200 });
    expect(dns.calls).toEqual([name]);
    expect(receiver.on("/pinned").map((r) => r.headers.host)).toEqual([`${name}:${port}`]);
    // Loopback outside production: the developer's own receiver, its answer shown.
    expect(attempts).toEqual([expect.objectContaining({ status_code: 200, response_body: "ok" })]);
  });

  it("a closed port, a reset connection and a name that does not resolve are recorded alike; the log keeps the cause", async () => {
    const reset = await resettingPort();
    const closed = await resettingPort();
    await closed.close();
    const dns = resolver({ "reset.localhost": ["127.0.0.1"], "closed.localhost": ["127.0.0.1"] });
    const post = createNodeWebhookPost({ production: false, resolve: dns });
    const results = [
      await attempt(dev, `http://closed.localhost:${closed.port}/in`, post),
      await attempt(dev, `http://reset.localhost:${reset.port}/in`, post),
      await attempt(dev, "http://absent.localhost/in", post),
    ];
    for (const r of results) expect(r.attempts).toEqual([expect.objectContaining(unanswered)]);
    expect(reset.connections()).toBe(1);
    const failures = dev.logs.filter((l) => l.includes("webhook attempt failed")).join("\n");
    expect(failures).toMatch(/ECONNREFUSED/);
    expect(failures).toMatch(/ECONNRESET/);
    expect(failures).toMatch(/ENOTFOUND/);
    await reset.close();
  });
});
