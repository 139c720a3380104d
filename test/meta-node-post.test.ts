import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendToMeta } from "../lib/meta/client.js";
import { createNodePost } from "../lib/meta/node-post.js";

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
});
