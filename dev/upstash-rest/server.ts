import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { ScriptTranslator } from "./scripts.js";

/**
 * A local front that speaks Upstash's Redis REST protocol over a real Redis, so the
 * edge adapter and the Worker run here exactly as against Upstash:
 *   POST /            ["SET","k","v"]          → {"result": …} | 400 {"error": …}
 *   POST /pipeline    [[…],[…]]                → [{"result": …} | {"error": …}, …]
 *   POST /multi-exec  [[…],[…]]                → the same, run as MULTI/EXEC
 * With `Upstash-Encoding: base64` every string in a result (nested arrays too) is
 * base64, except a top-level "OK" — the client (@upstash/redis pkg/http.ts)
 * decodes exactly that way.
 */
export interface UpstashFront {
  url: string;
  token: string;
  close(): Promise<void>;
}

type Reply = null | number | Buffer | string | Reply[];

/**
 * The client decodes a top-level "OK" as it is and every other string (in arrays too,
 * "OK" included) as base64, so only a top-level "OK" may go out unencoded: an "OK"
 * inside an array sent as it is would be base64-decoded by the client into garbage.
 * A top-level bulk string "OK" and the status reply OK decode the same either way.
 */
function encode(value: Reply | Error, base64: boolean, top = true): unknown {
  if (value === null || typeof value === "number") return value;
  if (Array.isArray(value)) return value.map((v) => encode(v, base64, false));
  if (value instanceof Error) return null;
  const s = Buffer.isBuffer(value) ? value : Buffer.from(value);
  if (!base64) return s.toString("utf8");
  return top && s.toString("utf8") === "OK" ? "OK" : s.toString("base64");
}

const isCommand = (c: unknown): c is (string | number)[] =>
  Array.isArray(c) && c.length > 0 && c.every((x) => typeof x === "string" || typeof x === "number");

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startUpstashFront(opts: { redisUrl: string; token: string; port?: number; host?: string }): Promise<UpstashFront> {
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 2 });
  redis.on("error", () => {});
  const scripts = new ScriptTranslator();
  const call = (raw: (string | number)[]) => {
    const cmd = scripts.translate(raw);
    return redis.callBuffer(String(cmd[0]), ...cmd.slice(1).map(String)) as Promise<Reply>;
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const server = createServer(async (req, res) => {
    try {
      if (req.headers.authorization !== `Bearer ${opts.token}`) return send(res, 401, { error: "Unauthorized" });
      const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
      const path = (req.url ?? "/").split("?")[0]!.replace(/\/+$/, "");
      const raw = req.method === "POST" ? await readBody(req) : "";
      const isJsonEndpoint = path === "" || path === "/pipeline" || path === "/multi-exec";
      const body: unknown = isJsonEndpoint ? JSON.parse(raw || "null") : raw;

      if (path === "" || path === "/") {
        if (!isCommand(body)) return send(res, 400, { error: "ERR the request body must be a JSON array command" });
        try {
          return send(res, 200, { result: encode(await call(body), base64) });
        } catch (err) {
          return send(res, 400, { error: (err as Error).message });
        }
      }
      if (path === "/pipeline" || path === "/multi-exec") {
        if (!Array.isArray(body) || !body.every(isCommand)) return send(res, 400, { error: "ERR the request body must be an array of commands" });
        const cmds = body as (string | number)[][];
        if (path === "/pipeline") {
          // Written to Redis back to back on one connection: executed in order, as Upstash
          // does, without a round trip per command.
          const settled = await Promise.allSettled(cmds.map((c) => call(c)));
          return send(res, 200, settled.map((r) => (r.status === "fulfilled" ? { result: encode(r.value, base64) } : { error: (r.reason as Error).message })));
        }
        const multi = redis.multi();
        for (const raw of cmds) {
          const c = scripts.translate(raw);
          multi.callBuffer(String(c[0]), ...c.slice(1).map(String));
        }
        let results: [Error | null, unknown][];
        try {
          results = (await multi.exec()) ?? [];
        } catch (err) {
          // A command Redis refused to queue discards the whole transaction: EXECABORT, as Redis says it.
          return send(res, 400, { error: (err as Error).message });
        }
        return send(res, 200, results.map(([err, r]) => (err ? { error: err.message } : { result: encode(r as Reply, base64) })));
      }
      // Path form, e.g. GET /get/key or POST /set/key with the value as body.
      const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
      if (raw) parts.push(raw);
      try {
        return send(res, 200, { result: encode(await call(parts), base64) });
      } catch (err) {
        return send(res, 400, { error: (err as Error).message });
      }
    } catch (err) {
      return send(res, 400, { error: `ERR ${(err as Error).message}` });
    }
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token: opts.token,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      redis.disconnect();
    },
  };
}
