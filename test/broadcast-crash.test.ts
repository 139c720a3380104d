import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMetaSandbox, type MetaSandbox } from "../dev/meta-sandbox/index.js";
import { connectTestNumber, setLimits } from "./support/senders.js";
import { seedContacts, sendsPer, TEMPLATE } from "./support/broadcast-kit.js";
import { eventually } from "./support/eventually.js";
import { freePort, startTs, type Running } from "./support/spawn.js";
import { childEnv, createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";

/**
 * Sandesh as its own process (npm start), the Meta sandbox in this one counting what it
 * receives. The broadcast is paused before its time, so its run writes rows without
 * sending: the process is killed (SIGKILL) in the middle of writing its audience, then
 * started again; the run resumes from its cursor, resume sends, and every recipient has
 * exactly one message in the sandbox.
 */
const TOTAL = 5000;

let stack: TestStack;
let sandbox: MetaSandbox;
let dir: string;
let env: Record<string, string>;
let server: Running | undefined;
beforeAll(async () => {
  stack = await createTestStack();
  // Meta's status webhooks are beside the point here (and, 3 per send, would triple the load): far later.
  sandbox = await startMetaSandbox({ appSecret: TEST_SECRETS.META_APP_SECRET, statusDelayMs: 600_000 });
  dir = await mkdtemp(join(tmpdir(), "sandesh-broadcast-crash-"));
  const port = await freePort();
  env = {
    ...childEnv(stack),
    META_GRAPH_URL: sandbox.url,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
  };
  sandbox.setWebhookUrl(`${env.PUBLIC_URL}/webhooks/meta`);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await sandbox?.close();
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

const start = async () => {
  server = startTs("dev/server.ts", env, { cwd: dir });
  await server.waitFor(/listening on/, 120_000);
};

describe("a broadcast whose process is killed mid-run", () => {
  it("resumes from its cursor after a restart, and every recipient is messaged exactly once", async () => {
    const t = await stack.tenant("Crash");
    await setLimits(stack, t.workspaceId, { apiKey: { limit: 1000, periodMs: 1000 }, ip: { limit: 1000, periodMs: 1000 }, workspace: { limit: 1000, periodMs: 1000 } });
    const token = `EAACrashToken${Date.now()}abcdefghijklmnop`;
    // Below the sandbox's 1,000/s: this test is about exactly once, not about Meta's throttling.
    const number = await connectTestNumber(stack, t.workspaceId, { token, throughput: 400, tier: "TIER_UNLIMITED" });
    sandbox.registerNumber(number.phone_number_id, token, { throughputMps: 1000 });
    const all = await seedContacts(stack.owner, t.workspaceId, TOTAL, { tag: "crash" });
    await start();
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${env.PUBLIC_URL}${path}`, { method, headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, json: (await res.json()) as any };
    };
    const created = await call("POST", "/v1/broadcasts", { name: "crash", template: TEMPLATE, audience: { tag: "crash" }, send_at: new Date(Date.now() + 2000).toISOString() });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id as string;
    expect((await call("POST", `/v1/broadcasts/${id}/pause`)).json.status).toBe("paused");

    const targeted = async () => (await stack.owner<{ n: number }[]>`select targeted as n from broadcasts where id = ${id}`)[0]!.n;
    await eventually(targeted, (n) => n > 0, 60_000);
    server!.child.kill("SIGKILL");
    await server!.exited;
    const atKill = await targeted();
    // Killed in the middle of writing the audience.
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(TOTAL);

    await start();
    // The killed run's job comes back (pg-boss heartbeat), and carries on from the cursor.
    await eventually(async () => (await stack.owner<{ done: boolean }[]>`select audience_done as done from broadcasts where id = ${id}`)[0]!.done, (d) => d, 90_000);
    const [rows] = await stack.owner<{ n: number; contacts: number }[]>`select count(*)::int as n, count(distinct contact_id)::int as contacts from messages where broadcast_id = ${id}`;
    expect(rows).toEqual({ n: TOTAL, contacts: TOTAL });
    expect(await targeted()).toBe(TOTAL);

    expect((await call("POST", `/v1/broadcasts/${id}/resume`)).json.status).toBe("running");
    const done = await eventually(async () => (await call("GET", `/v1/broadcasts/${id}`)).json, (b) => b.status === "completed", 120_000).catch(async (err: Error) => {
      const left = await stack.owner`select status, error_title, attempts, count(*)::int as n from messages where broadcast_id = ${id} and status not in ('sent', 'delivered', 'read') group by 1, 2, 3`;
      throw new Error(`${err.message}
left: ${JSON.stringify(left)}
${server!.output().slice(-3000)}`);
    });
    expect(done.counts).toMatchObject({ targeted: TOTAL, sent: TOTAL, failed: 0, queued: 0 });
    const per = sendsPer(sandbox, number.phone_number_id);
    expect(per.size).toBe(TOTAL);
    expect([...per.keys()].sort()).toEqual([...all].sort());
    expect([...per.values()].filter((n) => n !== 1)).toEqual([]);
  }, 300_000);
});
