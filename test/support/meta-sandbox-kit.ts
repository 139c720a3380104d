import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import { startMetaSandbox, type MetaSandbox, type MetaSandboxOptions } from "../../dev/meta-sandbox/index.js";

/**
 * Shared by the Meta sandbox suites: a sandbox per test (closed after it), a webhook
 * receiver, and request builders. The sandbox must answer like the Graph API, or every
 * suite built on it tests a fiction.
 */
export const SECRET = "sandbox-app-secret-\u00e9\u00e8";
export const PNID = "106540352242922";
export const TOKEN = "EAAG-sandbox-token";
export const USER = "919876543210";

/** Parsed webhook and Graph JSON: the assertions state its shape. */
export type Json = any;

export const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

export async function sandbox(opts: Partial<MetaSandboxOptions> = {}): Promise<MetaSandbox> {
  const meta = await startMetaSandbox({ appSecret: SECRET, statusDelayMs: 5, webhookRetry: { timeScale: 0.01 }, ...opts });
  open.push(meta);
  return meta;
}

export interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  json: Json;
}

/** A webhook receiver: `answer(n)` picks the status of the n-th request (default 200). */
export async function receiver(answer: (n: number) => number = () => 200) {
  const requests: Received[] = [];
  const accepted: Received[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const r = { headers: req.headers, raw: Buffer.concat(chunks), json: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
    const status = answer(requests.length);
    requests.push(r);
    if (status < 300) accepted.push(r);
    res.writeHead(status).end();
    waiters = waiters.filter((w) => (accepted.length >= w.n ? (w.resolve(), false) : true));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/meta`;
  const handle = {
    url,
    requests,
    accepted,
    /** The first n accepted webhooks, as soon as they are there (a deadline, not a sleep). */
    waitFor(n: number, deadlineMs = 5000): Promise<Received[]> {
      if (accepted.length >= n) return Promise.resolve(accepted.slice(0, n));
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`expected ${n} webhooks, got ${accepted.length}`)), deadlineMs);
        waiters.push({ n, resolve: () => (clearTimeout(t), resolve(accepted.slice(0, n))) });
      });
    },
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
  open.push(handle);
  return handle;
}

/** Verified independently of the sandbox's own helper: HMAC over the exact bytes. */
export function validSignature(r: Received, secret = SECRET): boolean {
  const header = String(r.headers["x-hub-signature-256"] ?? "");
  if (!header.startsWith("sha256=")) return false;
  const expected = createHmac("sha256", secret).update(r.raw).digest();
  const got = Buffer.from(header.slice(7), "hex");
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export async function send(meta: MetaSandbox, body: unknown, opts: { pnid?: string; token?: string | null; version?: string } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TOKEN}`;
  const res = await fetch(`${meta.url}/${opts.version ?? "v21.0"}/${opts.pnid ?? PNID}/messages`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Json };
}

export const text = (to: string, body = "hi", extra: object = {}) => ({ messaging_product: "whatsapp", recipient_type: "individual", to, type: "text", text: { body }, ...extra });
export const template = (to: string, name = "order_update") => ({
  messaging_product: "whatsapp",
  to,
  type: "template",
  template: { name, language: { code: "en_US" }, components: [{ type: "body", parameters: [{ type: "text", text: "42" }] }] },
});
export const statusOf = (r: Received) => r.json.entry[0].changes[0].value.statuses[0];
