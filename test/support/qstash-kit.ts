import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client, Receiver } from "@upstash/qstash";
import { afterAll, beforeAll } from "vitest";
import { startLocalQStash, type LocalQStash } from "../../dev/qstash/server.js";

/**
 * The local QStash driven by the real `@upstash/qstash` Client, its deliveries checked
 * by the real Receiver at a local destination. Nothing sleeps for a fixed time: tests
 * wait on requests arriving at the destination or on the server's settle events.
 */

export interface Hit {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** true, or the Receiver's error message. */
  verified: true | string;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Destination work time before answering (to make overlapping deliveries observable). */
  workMs?: number;
}

/** An HTTP destination on 127.0.0.1 that verifies every request with the real Receiver. */
export class Destination {
  readonly hits: Hit[] = [];
  private readonly replies = new Map<string, (nth: number, hit: Hit) => Reply>();
  private readonly waiters: { path: string; n: number; resolve: (h: Hit) => void }[] = [];
  private readonly active = new Map<string, number>();
  readonly maxActive = new Map<string, number>();
  private server?: Server;
  base = "";

  constructor(readonly receiver: Receiver) {}

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      const hit: Hit = { path, method: req.method ?? "", headers: req.headers, body, at: Date.now(), verified: "no signature" };
      const signature = req.headers["upstash-signature"];
      if (typeof signature === "string") {
        hit.verified = await this.receiver.verify({ signature, body, url: this.url(path) }).then(
          () => true as const,
          (e: Error) => e.message,
        );
      }
      this.hits.push(hit);
      const now = (this.active.get(path) ?? 0) + 1;
      this.active.set(path, now);
      this.maxActive.set(path, Math.max(this.maxActive.get(path) ?? 0, now));
      const nth = this.on(path).length;
      const reply = this.replies.get(path)?.(nth, hit) ?? {};
      for (const w of this.waiters.filter((w) => w.path === path && w.n === nth)) w.resolve(hit);
      if (reply.workMs) await new Promise((r) => setTimeout(r, reply.workMs));
      this.active.set(path, (this.active.get(path) ?? 1) - 1);
      res.writeHead(reply.status ?? 200, reply.headers ?? {}).end(reply.body ?? "ok");
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", () => r()));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  reply(path: string, fn: (nth: number, hit: Hit) => Reply): void {
    this.replies.set(path, fn);
  }

  on(path: string): Hit[] {
    return this.hits.filter((h) => h.path === path);
  }

  /** The n-th (1-based) request to `path`, once it has arrived. */
  nth(path: string, n = 1): Promise<Hit> {
    const seen = this.on(path)[n - 1];
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ path, n, resolve }));
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.server?.close(() => r());
      this.server?.closeAllConnections();
    });
  }
}

export let qstash: LocalQStash;
export let client: Client;
export let dest: Destination;
export const fastBackoff = (retried: number) => 20 * (retried + 1);

beforeAll(async () => {
  qstash = await startLocalQStash({ backoff: fastBackoff });
  client = new Client({ baseUrl: qstash.url, token: qstash.token, devMode: false, enableTelemetry: false, retry: false });
  dest = new Destination(new Receiver({ currentSigningKey: qstash.currentSigningKey, nextSigningKey: qstash.nextSigningKey, devMode: false }));
  await dest.start();
});

afterAll(async () => {
  await qstash?.close();
  await dest?.close();
});

export const sha256b64url = (s: string) => createHash("sha256").update(s).digest("base64url");
