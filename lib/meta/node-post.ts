import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { META_TIMEOUT_MS, type MetaPost } from "./client.js";

/**
 * The Node process's Graph API poster: node:http(s) over kept-alive sockets. fetch
 * (undici) built a web Request, an AbortSignal and body streams per send and took ~35 %
 * of the send worker's CPU; this is the same POST without them. The Worker keeps fetch.
 */
export function createNodePost(opts: { timeoutMs?: number; idleMs?: number } = {}): MetaPost {
  const timeoutMs = opts.timeoutMs ?? META_TIMEOUT_MS;
  const idleMs = opts.idleMs ?? IDLE_MS;
  // No socket limit, as fetch had none: pacing bounds the sends in flight, and a send
  // waiting for a socket would spend its deadline waiting.
  const agents = {
    "http:": retiring(new http.Agent({ keepAlive: true }), idleMs),
    "https:": retiring(new https.Agent({ keepAlive: true }), idleMs),
  };
  return (url, headers, body) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const mod = u.protocol === "https:" ? https : http;
      const agent = agents[u.protocol as keyof typeof agents];
      if (!agent) return reject(new Error(`unsupported protocol ${u.protocol}`));
      const req = mod.request(u, { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
        const hint = keepAliveSeconds(res.headers["keep-alive"]);
        if (hint !== null) serverIdle.set(res.socket, hint * 1000);
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      // A deadline for the whole exchange, as AbortSignal.timeout gave fetch; named as fetch
      // names it, so the failure is classified the same way: outcome unknown, never resent.
      const deadline = setTimeout(() => req.destroy(Object.assign(new Error("The Graph API did not answer in time"), { name: "TimeoutError" })), timeoutMs);
      req.on("close", () => clearTimeout(deadline));
      // In use, a socket has no idle timer: the deadline above bounds the exchange.
      req.on("socket", (socket) => socket.setTimeout(0));
      req.on("error", reject);
      req.end(body);
    });
}

/**
 * Retiring a kept-alive socket before the server does. A server closes an idle connection
 * after its keep-alive timeout; a request written in that moment meets a reset, and nobody
 * can tell whether the server read it: the send is "outcome unknown", never sent again,
 * though it may never have reached Meta. So a free socket is closed by us well before:
 * a second before the server's own `Keep-Alive: timeout=N` where it says one, after
 * IDLE_MS where it does not, whichever is sooner. (In a Worker, fetch pools for us.)
 */
export const IDLE_MS = 4_000;
const MARGIN_MS = 1_000;
const serverIdle = new WeakMap<object, number>();

export function keepAliveSeconds(header: string | string[] | undefined): number | null {
  const m = /(?:^|[\s,])timeout=(\d+)/i.exec(Array.isArray(header) ? header.join(",") : (header ?? ""));
  return m ? Number(m[1]) : null;
}

function retiring<A extends http.Agent>(agent: A, idleMs: number): A {
  // Node's own hook answers whether a socket that became free is kept (its types say void).
  const keep = agent.keepSocketAlive.bind(agent) as unknown as (socket: Socket) => boolean;
  // Called as a socket becomes free: its idle timer is set, and the agent destroys a free socket that times out.
  (agent as unknown as { keepSocketAlive(socket: Socket): boolean }).keepSocketAlive = (socket) => {
    if (!keep(socket)) return false;
    const server = serverIdle.get(socket);
    const idle = Math.min(idleMs, server === undefined ? idleMs : server - MARGIN_MS);
    if (idle <= 0) return false;
    socket.setTimeout(idle);
    return true;
  };
  return agent;
}
