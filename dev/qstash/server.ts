import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { newSigningKey, newToken } from "./ids.js";
import { headerBag, parsePublish, type MessageSpec } from "./publish.js";
import { Scheduler, type DlqEntry, type FinalState } from "./scheduler.js";
import { signDelivery } from "./signing.js";
import { BadRequest } from "./timing.js";

export type { DlqEntry, FinalState } from "./scheduler.js";
export type { AttemptEvent } from "./scheduler.js";

export interface LocalQStashOptions {
  /** The bearer token publishers must send; generated when not given. */
  token?: string;
  currentSigningKey?: string;
  nextSigningKey?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Delay before the next attempt by the failed attempt's Upstash-Retried (0 first). Default: QStash's min(86400, e^(2.5·n)) s. */
  backoff?: (retried: number) => number;
  /** Which key signs deliveries (default "current"); "next" rehearses a key rotation. */
  signWith?: "current" | "next";
  /** How long a deduplication id is remembered. Default 10 minutes (QStash's OpenAPI; see README). */
  dedupWindowMs?: number;
  /** Attempt timeout when a publish sets no Upstash-Timeout. Default 15 minutes. */
  defaultTimeoutMs?: number;
}

export interface LocalQStash {
  /** QSTASH_URL: give it to `new Client({ baseUrl })`. */
  url: string;
  token: string;
  currentSigningKey: string;
  nextSigningKey: string;
  /** Dead letters so far, oldest first (live view). */
  readonly dlq: readonly DlqEntry[];
  /** "published", "attempt", "delivered", "failed", "canceled", "dlq" (see scheduler.ts). */
  readonly events: Scheduler["events"];
  /** Resolves when the message is delivered, dead-lettered or canceled (at once if it already is). */
  settled(messageId: string): Promise<FinalState>;
  /** Ids of messages not yet delivered, failed or canceled. */
  pending(): string[];
  /** Switch the key deliveries are signed with. */
  signWith(which: "current" | "next"): void;
  /** The environment a Sandesh process needs to use this server. */
  env(): Record<"QSTASH_URL" | "QSTASH_TOKEN" | "QSTASH_CURRENT_SIGNING_KEY" | "QSTASH_NEXT_SIGNING_KEY", string>;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

function authorized(req: IncomingMessage, query: URLSearchParams, token: string): boolean {
  const header = req.headers.authorization;
  const given = header?.startsWith("Bearer ") ? header.slice(7) : (query.get("qstash_token") ?? "");
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Query values, repeated (`a=1&a=2`) or comma-separated (`a=1,2`), as QStash accepts both. */
function multi(query: URLSearchParams, name: string): string[] {
  return query.getAll(name).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
}

/**
 * A QStash-compatible server for local runs and tests: the publish, batch, message and
 * DLQ routes `@upstash/qstash`'s Client uses, delivering signed requests that its
 * Receiver verifies. In memory only: a restart forgets every pending message, dedup id
 * and dead letter.
 */
export async function startLocalQStash(opts: LocalQStashOptions = {}): Promise<LocalQStash> {
  const token = opts.token ?? newToken();
  const currentSigningKey = opts.currentSigningKey ?? newSigningKey();
  const nextSigningKey = opts.nextSigningKey ?? newSigningKey();
  let signing: "current" | "next" = opts.signWith ?? "current";

  const scheduler = new Scheduler({
    sign: (url, body) => signDelivery({ key: signing === "current" ? currentSigningKey : nextSigningKey, url, body }),
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
    dedupWindowMs: opts.dedupWindowMs ?? 10 * 60_000,
    defaultTimeoutMs: opts.defaultTimeoutMs ?? 15 * 60_000,
  });

  const publishOne = (spec: MessageSpec, now: number) => {
    const { messageId, deduplicated } = scheduler.publish(spec, now);
    return { status: deduplicated ? 202 : 200, answer: { messageId, url: spec.url, ...(deduplicated ? { deduplicated: true } : {}) } };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q < 0 ? "" : rawUrl.slice(q + 1));
    const method = req.method ?? "GET";
    const body = await readBody(req);
    if (!authorized(req, query, token)) return send(res, 401, { error: "unauthorized: a valid Authorization: Bearer <QSTASH_TOKEN> is required" });
    const callerIp = req.socket.remoteAddress?.replace(/^::ffff:/, "");
    const now = Date.now();

    try {
      if (method === "POST" && path.startsWith("/v2/publish/")) {
        // Everything after /v2/publish/ is the destination, its own query string included.
        const headers = headerBag(Object.entries(req.headersDistinct).flatMap(([k, vs]) => (vs ?? []).map((v) => [k, v] as [string, string])));
        const { status, answer } = publishOne(parsePublish(rawUrl.slice("/v2/publish/".length), headers, body, now, callerIp), now);
        return send(res, status, answer);
      }
      if (method === "POST" && path === "/v2/batch") {
        let items: unknown;
        try {
          items = JSON.parse(new TextDecoder().decode(body));
        } catch {
          throw new BadRequest("batch body must be a JSON array");
        }
        if (!Array.isArray(items)) throw new BadRequest("batch body must be a JSON array");
        // All or nothing: every entry is checked before any is stored.
        const specs = items.map((item: unknown, i) => {
          const it = item as { destination?: unknown; headers?: unknown; body?: unknown; queue?: unknown };
          if (typeof it?.destination !== "string") throw new BadRequest(`batch[${i}].destination is required`);
          if (it.queue !== undefined) throw new BadRequest(`batch[${i}].queue: queues are not supported by the local QStash`);
          if (it.body !== undefined && typeof it.body !== "string") throw new BadRequest(`batch[${i}].body must be a string`);
          const headers = it.headers === undefined ? {} : it.headers;
          if (typeof headers !== "object" || headers === null || Array.isArray(headers)) throw new BadRequest(`batch[${i}].headers must be an object`);
          const bag = headerBag(Object.entries(headers as Record<string, unknown>).map(([k, v]) => [k, String(v)] as [string, string]));
          try {
            return parsePublish(it.destination, bag, new TextEncoder().encode((it.body as string | undefined) ?? ""), now, callerIp);
          } catch (err) {
            throw err instanceof BadRequest ? new BadRequest(`batch[${i}]: ${err.message}`) : err;
          }
        });
        return send(res, 200, specs.map((s) => publishOne(s, now).answer));
      }

      const message = /^\/v2\/messages\/([^/]+)$/.exec(path);
      if (message) {
        const id = decodeURIComponent(message[1]!);
        if (method === "GET") {
          const m = scheduler.describe(id);
          return m ? send(res, 200, m) : send(res, 404, { error: "message not found" });
        }
        if (method === "DELETE") {
          return scheduler.cancel(id) ? send(res, 202, { cancelled: 1 }) : send(res, 404, { error: "message not found" });
        }
      }
      if (path === "/v2/messages" && method === "DELETE") {
        const ids = multi(query, "messageIds");
        const targets = ids.length > 0 ? ids : scheduler.pendingIds().filter((id) => {
          const m = scheduler.describe(id) as { url: string; labels?: string[]; flowControlKey?: string };
          const urls = multi(query, "url");
          const labels = multi(query, "label");
          const keys = multi(query, "flowControlKey");
          return (urls.length === 0 || urls.includes(m.url)) && (labels.length === 0 || labels.some((l) => m.labels?.includes(l))) && (keys.length === 0 || keys.includes(m.flowControlKey ?? ""));
        });
        return send(res, 202, { cancelled: targets.filter((id) => scheduler.cancel(id)).length });
      }

      if (path === "/v2/dlq" && method === "GET") {
        const ids = multi(query, "dlqIds");
        const urls = multi(query, "url");
        const labels = multi(query, "label");
        const ofMessage = multi(query, "messageId");
        const matching = scheduler.dlq.filter(
          (d) =>
            (ids.length === 0 || ids.includes(d.dlqId)) &&
            (urls.length === 0 || urls.includes(d.url)) &&
            (ofMessage.length === 0 || ofMessage.includes(d.messageId)) &&
            (labels.length === 0 || labels.some((l) => d.labels?.includes(l))),
        );
        const start = Number(query.get("cursor") ?? 0) || 0;
        const n = Math.max(1, Number(query.get("count") ?? 100) || 100);
        const page = matching.slice(start, start + n);
        return send(res, 200, { messages: page, ...(start + n < matching.length ? { cursor: String(start + n) } : {}) });
      }
      const dlqOne = /^\/v2\/dlq\/([^/]+)$/.exec(path);
      if (dlqOne) {
        const id = decodeURIComponent(dlqOne[1]!);
        if (method === "GET") {
          const d = scheduler.dlq.find((x) => x.dlqId === id);
          return d ? send(res, 200, d) : send(res, 404, { error: "dlq message not found" });
        }
        if (method === "DELETE") return scheduler.removeDlq(id) ? send(res, 200) : send(res, 404, { error: "dlq message not found" });
      }
      if (path === "/v2/dlq" && method === "DELETE") {
        const ids = multi(query, "dlqIds");
        const targets = ids.length > 0 ? ids : scheduler.dlq.map((d) => d.dlqId);
        return send(res, 200, { deleted: targets.filter((id) => scheduler.removeDlq(id)).length });
      }
      const flow = /^\/v2\/flowControl\/([^/]+)$/.exec(path);
      if (flow && method === "GET") {
        const info = scheduler.flowInfo(decodeURIComponent(flow[1]!));
        return info ? send(res, 200, info) : send(res, 404, { error: "flow control key not found" });
      }
      return send(res, 404, { error: `${method} ${path} is not implemented by the local QStash` });
    } catch (err) {
      if (err instanceof BadRequest) return send(res, 400, { error: err.message });
      throw err;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: (err as Error).message });
      else res.destroy();
    });
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  return {
    url,
    token,
    currentSigningKey,
    nextSigningKey,
    dlq: scheduler.dlq,
    events: scheduler.events,
    settled: (id) => scheduler.settled(id),
    pending: () => scheduler.pendingIds(),
    signWith: (which) => {
      signing = which;
    },
    env: () => ({ QSTASH_URL: url, QSTASH_TOKEN: token, QSTASH_CURRENT_SIGNING_KEY: currentSigningKey, QSTASH_NEXT_SIGNING_KEY: nextSigningKey }),
    close: async () => {
      scheduler.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
