import http from "node:http";
import https from "node:https";
import { META_TIMEOUT_MS, type MetaPost } from "./client.js";

/**
 * The Node process's Graph API poster: node:http(s) over kept-alive sockets. fetch
 * (undici) built a web Request, an AbortSignal and body streams per send and took ~35 %
 * of the send worker's CPU; this is the same POST without them. The Worker keeps fetch.
 */
export function createNodePost(opts: { timeoutMs?: number } = {}): MetaPost {
  const timeoutMs = opts.timeoutMs ?? META_TIMEOUT_MS;
  // No socket limit, as fetch had none: pacing bounds the sends in flight, and a send
  // waiting for a socket would spend its deadline waiting.
  const agents = {
    "http:": new http.Agent({ keepAlive: true }),
    "https:": new https.Agent({ keepAlive: true }),
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
      // A deadline for the whole exchange, as AbortSignal.timeout gave fetch; named as fetch
      // names it, so the failure is classified the same way: outcome unknown, never resent.
      const deadline = setTimeout(() => req.destroy(Object.assign(new Error("The Graph API did not answer in time"), { name: "TimeoutError" })), timeoutMs);
      req.on("close", () => clearTimeout(deadline));
      req.on("error", reject);
      req.end(body);
    });
}
