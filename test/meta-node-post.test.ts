import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendToMeta } from "../lib/meta/client.js";
import { createNodePost, keepAliveSeconds } from "../lib/meta/node-post.js";

let server: Server;
let base: string;
const timers = new Set<NodeJS.Timeout>();
beforeAll(async () => {
  // /trickle answers headers, then a byte every 20 ms, never finishing: only a deadline ends it.
  server = createServer((req, res) => {
    if (req.url?.startsWith("/trickle")) {
      res.writeHead(200, { "content-type": "application/json" });
      const t = setInterval(() => res.write(" "), 20);
      timers.add(t);
      res.on("close", () => clearInterval(t));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ messaging_product: "whatsapp", messages: [{ id: "wamid.ok" }] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const t of timers) clearInterval(t);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("the Node process's Graph API poster", () => {
  const target = (graphUrl: string) => ({ graphUrl, apiVersion: "v21.0", phoneNumberId: "1" });

  it("sends and reads Meta's answer over a kept-alive socket", async () => {
    const post = createNodePost();
    expect(await sendToMeta(target(base), "EAAtoken", { to: "1", type: "text" }, post)).toEqual({ ok: true, wamid: "wamid.ok" });
    expect(await sendToMeta(target(base), "EAAtoken", { to: "1", type: "text" }, post)).toEqual({ ok: true, wamid: "wamid.ok" });
  });

  it("a response that trickles past the deadline is 'outcome unknown', never retried", async () => {
    const r = await sendToMeta(target(`${base}/trickle`), "EAAtoken", { to: "1", type: "text" }, createNodePost({ timeoutMs: 200 }));
    expect(r).toMatchObject({ ok: false, retryable: false, title: expect.stringMatching(/outcome unknown.*in time/) });
  });

  it("a refused connection never reached Meta: retryable", async () => {
    const r = await sendToMeta(target("http://127.0.0.1:1"), "EAAtoken", { to: "1", type: "text" }, createNodePost());
    expect(r).toMatchObject({ ok: false, retryable: true, details: "ECONNREFUSED" });
  });

  it("reads the server's keep-alive timeout from its answer", () => {
    expect(keepAliveSeconds("timeout=5")).toBe(5);
    expect(keepAliveSeconds("timeout=2, max=100")).toBe(2);
    expect(keepAliveSeconds("max=100,timeout=7")).toBe(7);
    expect(keepAliveSeconds(undefined)).toBeNull();
  });

  it("retires an idle socket before the server's keep-alive timeout, so no send is written into a closing connection", async () => {
    // This server never closes an idle connection itself; it only says it would after 2 s.
    const connections: Socket[] = [];
    const idler = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "keep-alive": "timeout=2" });
      res.end(JSON.stringify({ messaging_product: "whatsapp", messages: [{ id: "wamid.idle" }] }));
    });
    idler.keepAliveTimeout = 0;
    idler.on("connection", (c: Socket) => connections.push(c));
    await new Promise<void>((r) => idler.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(idler.address() as AddressInfo).port}`;
    try {
      const post = createNodePost();
      expect(await sendToMeta(target(url), "EAAtoken", { to: "1", type: "text" }, post)).toEqual({ ok: true, wamid: "wamid.idle" });
      // The client closes it (about a second before the server's 2 s): the server sees the end.
      await new Promise<void>((r) => (connections[0]!.destroyed ? r() : connections[0]!.once("close", () => r())));
      expect(await sendToMeta(target(url), "EAAtoken", { to: "1", type: "text" }, post)).toEqual({ ok: true, wamid: "wamid.idle" });
      expect(connections).toHaveLength(2);
    } finally {
      idler.closeAllConnections();
      await new Promise((r) => idler.close(r));
    }
  });
});
