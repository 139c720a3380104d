import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WABA_ID } from "../dev/meta-sandbox/server.js";
import { eventually } from "./support/eventually.js";
import { fakePng, mediaForm } from "./support/media-kit.js";
import { freePort, runTs, startTs, type Running } from "./support/spawn.js";
import { childEnv, createTestStack, type TestStack } from "./support/stack.js";

/**
 * `npm run dev:worker` on its own: with no QSTASH_TOKEN it starts the local QStash, so
 * a template goes Worker (workerd) → QStash → the Worker's /jobs/send → the Meta
 * sandbox → status webhooks back to the Worker → `read`, with nothing wired by hand.
 */

let stack: TestStack;
let env: Record<string, string>;
beforeAll(async () => {
  stack = await createTestStack();
  env = childEnv(stack);
});
afterAll(() => stack?.close());

describe("npm run dev:worker", () => {
  let worker: Running | undefined;
  afterAll(async () => {
    await worker?.stop();
  }, 30_000);

  it("starts the local QStash when no QSTASH_TOKEN is set: a template reaches read through workerd, and the Graph-compatible route answers Meta's wamid there", async () => {
    const port = await freePort();
    // The Graph route waits for the queue's round trip (Worker → QStash → /jobs/send → Meta): on a loaded machine, longer than 10 s.
    worker = startTs("dev/worker.ts", { ...env, PORT: String(port), GRAPH_SEND_WAIT_MS: "60000" });
    await worker.waitFor(/listening on/, 120_000);
    expect(worker.output()).toMatch(/queue: no QSTASH_TOKEN, so the local QStash stands in at http:\/\/127\.0\.0\.1:\d+/);

    const tenant = await stack.tenant("Edge");
    const connect = await runTs("dev/admin/cli.ts", ["whatsapp", "connect", "--workspace", tenant.workspaceId, "--phone-number-id", "5566778899", "--waba-id", DEFAULT_WABA_ID, "--token-stdin", "--json"], env, "EAAWorkerToken0123456789");
    expect(connect.code, connect.stderr + connect.stdout).toBe(0);

    const res = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.key}`, "content-type": "application/json" },
      body: JSON.stringify({ to: "919800011122", type: "template", template: { name: "order_update", language: { code: "en" }, category: "UTILITY" } }),
    });
    const body = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(body)).toBe(202);
    const status = await eventually(
      async () => (await stack.owner`select status from messages where id = ${body.id}`)[0]?.status as string | undefined,
      (s) => s === "read" || s === "failed",
      45_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${worker!.output().slice(-4000)}`);
    });
    expect(status, worker.output().slice(-3000)).toBe("read");

    // An SDK's request, by base URL: the same send function, answered with the wamid.
    const graph = await fetch(`http://127.0.0.1:${port}/v23.0/5566778899/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.key}`, "content-type": "application/json" },
      body: JSON.stringify({ messaging_product: "whatsapp", to: "919800011123", type: "template", template: { name: "order_update", language: { code: "en" } } }),
    });
    const answer = (await graph.json()) as { messages?: { id: string }[] };
    expect(graph.status, JSON.stringify(answer) + worker.output().slice(-2000)).toBe(200);
    expect(answer.messages?.[0]?.id).toMatch(/^wamid\./);
    const [row] = await stack.owner`select wamid from messages where workspace_id = ${tenant.workspaceId} and recipient = '919800011123'`;
    expect(row?.wamid).toBe(answer.messages![0]!.id);
  }, 300_000);

  it("media: an upload streamed by the Worker to Meta, the metadata with a Sandesh link, the bytes through it, 413 past the limit, and a delete", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const edge = startTs("dev/worker.ts", { ...env, PORT: String(port), PUBLIC_URL: base });
    try {
      await edge.waitFor(/listening on/, 120_000);
      const tenant = await stack.tenant("Edge media");
      const connect = await runTs("dev/admin/cli.ts", ["whatsapp", "connect", "--workspace", tenant.workspaceId, "--phone-number-id", "5566778800", "--waba-id", DEFAULT_WABA_ID, "--token-stdin", "--json"], env, "EAAWorkerMediaToken0123456789");
      expect(connect.code, connect.stderr + connect.stdout).toBe(0);
      const auth = { authorization: `Bearer ${tenant.key}` };

      const png = fakePng(1024 * 1024);
      const up = await fetch(`${base}/v23.0/5566778800/media`, { method: "POST", headers: auth, body: mediaForm(png, "image/png") });
      const { id } = (await up.json()) as { id: string };
      expect(up.status, `${id} ${edge.output().slice(-2000)}`).toBe(200);
      expect(id).toMatch(/^\d+$/);

      const meta = (await (await fetch(`${base}/v23.0/${id}`, { headers: auth })).json()) as { url: string; file_size: number; mime_type: string };
      expect(meta).toMatchObject({ mime_type: "image/png", file_size: png.length });
      expect(meta.url.startsWith(`${base}/media/download/`)).toBe(true);
      const bytes = Buffer.from(await (await fetch(meta.url)).arrayBuffer());
      expect(bytes.equals(Buffer.from(png))).toBe(true);

      const big = await fetch(`${base}/v1/media`, { method: "POST", headers: auth, body: mediaForm(fakePng(5 * 1024 * 1024 + 1), "image/png") });
      expect(big.status).toBe(413);

      expect(await (await fetch(`${base}/v23.0/${id}`, { method: "DELETE", headers: auth })).json()).toEqual({ success: true });
      expect((await fetch(meta.url)).status).toBe(404);
    } finally {
      await edge.stop();
    }
  }, 300_000);

  it("a contacts import through workerd: 202 queued, its job comes back through QStash to the Worker's /jobs/import, and the export holds it", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const edge = startTs("dev/worker.ts", { ...env, PORT: String(port), PUBLIC_URL: base });
    try {
      await edge.waitFor(/listening on/, 120_000);
      const tenant = await stack.tenant("Edge import");
      const auth = { authorization: `Bearer ${tenant.key}` };
      const csv = ["wa_id,name,tags,city", "+91 98000 00001,Asha,vip;diwali,Pune", "not-a-number,Bad,,", "919800000002,Ravi,,Mumbai"].join("\n");
      const res = await fetch(`${base}/v1/contacts/imports`, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: csv });
      const accepted = (await res.json()) as { id: string; status: string };
      expect(res.status, JSON.stringify(accepted)).toBe(202);
      expect(accepted.status).toBe("queued");
      const done = await eventually(
        async () => (await (await fetch(`${base}/v1/contacts/imports/${accepted.id}`, { headers: auth })).json()) as Record<string, unknown>,
        (v) => v.status === "completed" || v.status === "failed",
        60_000,
      );
      expect(done).toMatchObject({ status: "completed", rows_read: 3, created: 2, failed: 1, errors: [{ line: 3, message: expect.stringMatching(/^wa_id/) }] });
      const exported = await (await fetch(`${base}/v1/contacts/export`, { headers: auth })).text();
      expect(exported.split("\r\n")[0]).toBe("wa_id,name,tags,opt_in,opt_out,city");
      expect(exported).toContain("919800000001,Asha,vip;diwali,,,Pune\r\n");
    } finally {
      await edge.stop();
    }
  }, 300_000);

  it("does not claim to listen when its port is held by another server, even one that answers /healthz", async () => {
    const other: Server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}'));
    const port = await new Promise<number>((r) => other.listen(0, "127.0.0.1", () => r((other.address() as { port: number }).port)));
    try {
      const r = await runTs("dev/worker.ts", [], { ...env, PORT: String(port) });
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toMatch(/listening/);
      expect(r.stderr.trim()).toBe(`The Worker cannot start: port ${port} is in use by another process: stop it, or set PORT to a free port`);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  }, 60_000);
});
