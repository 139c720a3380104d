import http from "node:http";
import https from "node:https";
import { META_TIMEOUT_MS, type MetaPost } from "./client.js";

/**
 * The Node process's Graph API poster: node:http(s) over kept-alive sockets. fetch
 * (undici) built a web Request, an AbortSignal and body streams per send and took ~35 %
 * of the send worker's CPU; this is the same POST without them. The Worker keeps fetch.
 */
export function createNodePost(opts: { maxSockets?: number } = {}): MetaPost {
  const agents = {
    "http:": new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 128 }),
    "https:": new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 128 }),
  };
  return (url, headers, body) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const mod = u.protocol === "https:" ? https : http;
      const agent = agents[u.protocol as keyof typeof agents];
      if (!agent) return reject(new Error(`unsupported protocol ${u.protocol}`));
      const req = mod.request(u, { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      // Named as fetch names it, so the failure is classified the same way: outcome unknown.
      req.setTimeout(META_TIMEOUT_MS, () => req.destroy(Object.assign(new Error("The Graph API did not answer in time"), { name: "TimeoutError" })));
      req.on("error", reject);
      req.end(body);
    });
}
