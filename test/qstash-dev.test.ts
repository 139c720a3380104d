import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client, Receiver } from "@upstash/qstash";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalQStash, type LocalQStash } from "../dev/qstash/server.js";
import { compileRetryDelay, defaultBackoff, parseDuration, retryAfterMs } from "../dev/qstash/timing.js";
import { parseFlowControlValue } from "../dev/qstash/flow-control.js";

/**
 * The local QStash driven by the real `@upstash/qstash` Client, its deliveries checked
 * by the real Receiver at a local destination. Nothing sleeps for a fixed time: tests
 * wait on requests arriving at the destination or on the server's settle events.
 */

interface Hit {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** true, or the Receiver's error message. */
  verified: true | string;
}

interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Destination work time before answering (to make overlapping deliveries observable). */
  workMs?: number;
}

/** An HTTP destination on 127.0.0.1 that verifies every request with the real Receiver. */
class Destination {
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

let qstash: LocalQStash;
let client: Client;
let dest: Destination;
const fastBackoff = (retried: number) => 20 * (retried + 1);

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

const sha256b64url = (s: string) => createHash("sha256").update(s).digest("base64url");

describe("publish and signed delivery", () => {
  it("delivers the exact body with QStash's headers, signed so the real Receiver accepts it", async () => {
    const body = JSON.stringify({ hello: "wörld", n: 1 });
    const res = await client.publish({ url: dest.url("/basic?tenant=a"), body, headers: { "Content-Type": "application/json; charset=utf-8" } });
    expect(res.messageId).toMatch(/^msg_[1-9A-HJ-NP-Za-km-z]+$/);
    expect(res.deduplicated).toBeUndefined();

    const hit = await dest.nth("/basic?tenant=a");
    expect(hit.verified).toBe(true);
    expect(hit.method).toBe("POST");
    expect(hit.body).toBe(body);
    expect(hit.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(hit.headers["upstash-message-id"]).toBe(res.messageId);
    expect(hit.headers["upstash-retried"]).toBe("0");
    expect(hit.headers["user-agent"]).toBe("Upstash-QStash");
    await expect(qstash.settled(res.messageId)).resolves.toMatchObject({ state: "DELIVERED", retried: 0 });
  });

  it("signs HS256 with iss Upstash, sub = destination, a 5-minute lifetime and the padded base64url body hash", async () => {
    const body = "claims";
    await client.publish({ url: dest.url("/claims"), body });
    const hit = await dest.nth("/claims");
    const jwt = hit.headers["upstash-signature"] as string;
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: "HS256", typ: "JWT" });
    const claims = decodeJwt(jwt);
    expect(claims.iss).toBe("Upstash");
    expect(claims.sub).toBe(dest.url("/claims"));
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(claims.jti).toMatch(/^jwt_/);
    // 32 bytes → 43 base64url characters plus one "=", as in QStash's documented example.
    expect(claims.body).toBe(`${sha256b64url(body)}=`);
  });

  it("a tampered body, another URL or other keys fail verification", async () => {
    await client.publish({ url: dest.url("/tamper"), body: "original" });
    const hit = await dest.nth("/tamper");
    const signature = hit.headers["upstash-signature"] as string;
    const receiver = dest.receiver;
    await expect(receiver.verify({ signature, body: "original", url: dest.url("/tamper") })).resolves.toBe(true);
    await expect(receiver.verify({ signature, body: "originaL", url: dest.url("/tamper") })).rejects.toThrow(/body hash does not match/);
    await expect(receiver.verify({ signature, body: "original", url: dest.url("/elsewhere") })).rejects.toThrow(/invalid subject/);
    const strangers = new Receiver({ currentSigningKey: "sig_wrong1", nextSigningKey: "sig_wrong2", devMode: false });
    await expect(strangers.verify({ signature, body: "original" })).rejects.toThrow();
  });

  it("signs with the next key when told to, which the Receiver accepts as a rotation", async () => {
    qstash.signWith("next");
    try {
      await client.publish({ url: dest.url("/rotated"), body: "r" });
      const hit = await dest.nth("/rotated");
      expect(hit.verified).toBe(true);
      const currentOnly = new Receiver({ currentSigningKey: qstash.currentSigningKey, nextSigningKey: "sig_not_it", devMode: false });
      await expect(currentOnly.verify({ signature: hit.headers["upstash-signature"] as string, body: "r" })).rejects.toThrow();
    } finally {
      qstash.signWith("current");
    }
  });

  it("refuses a publish without the right bearer token", async () => {
    const stranger = new Client({ baseUrl: qstash.url, token: "not-the-token", devMode: false, enableTelemetry: false, retry: false });
    await expect(stranger.publish({ url: dest.url("/never"), body: "x" })).rejects.toMatchObject({ status: 401 });
    const raw = await fetch(`${qstash.url}/v2/publish/${dest.url("/never")}`, { method: "POST", body: "x" });
    expect(raw.status).toBe(401);
    expect(dest.on("/never")).toHaveLength(0);
  });

  it("delivers forwarded headers under their own names, and none of the control headers", async () => {
    await client.publish({
      url: dest.url("/forward"),
      body: "f",
      headers: { "X-Tenant": "t-42", Authorization: "Bearer downstream", "Upstash-Forward-X-Explicit": "yes" },
      retries: 1,
      label: "lbl",
    });
    const hit = await dest.nth("/forward");
    expect(hit.headers["x-tenant"]).toBe("t-42");
    expect(hit.headers["authorization"]).toBe("Bearer downstream");
    expect(hit.headers["x-explicit"]).toBe("yes");
    const leaked = Object.keys(hit.headers).filter((k) => k.startsWith("upstash-") && !["upstash-signature", "upstash-message-id", "upstash-retried", "upstash-caller-ip"].includes(k));
    expect(leaked).toEqual([]);
  });

  it("delivers with Upstash-Method, and GET without a body", async () => {
    await client.publish({ url: dest.url("/put"), body: "p", method: "PUT" });
    await client.publish({ url: dest.url("/get"), method: "GET" });
    const put = await dest.nth("/put");
    const get = await dest.nth("/get");
    expect([put.method, put.body, put.verified]).toEqual(["PUT", "p", true]);
    expect([get.method, get.body, get.verified]).toEqual(["GET", "", true]);
  });
});

describe("the client's wire format", () => {
  it("is what PROTOCOLS.md says: exact header syntax captured from Client.publish", async () => {
    const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
    const capture = createServer((req, res) => {
      seen.push({ url: req.url ?? "", headers: req.headers });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ messageId: "msg_capture" }));
    });
    await new Promise<void>((r) => capture.listen(0, "127.0.0.1", () => r()));
    try {
      const c = new Client({ baseUrl: `http://127.0.0.1:${(capture.address() as AddressInfo).port}`, token: "tok", devMode: false, enableTelemetry: false });
      await c.publish({
        url: "https://example.com/hook?x=1",
        body: "b",
        headers: { "X-Custom": "v" },
        delay: 10,
        notBefore: 1_700_000_000,
        retries: 2,
        deduplicationId: "d1",
        contentBasedDeduplication: true,
        callback: "https://example.com/cb",
        failureCallback: "https://example.com/fail",
        timeout: "30s",
        flowControl: { key: "k", parallelism: 1, rate: 10, period: 60 },
      });
      const [{ url, headers: h }] = seen as [{ url: string; headers: IncomingHttpHeaders }];
      expect(url).toBe("/v2/publish/https://example.com/hook?x=1");
      expect(h.authorization).toBe("Bearer tok");
      expect(h["upstash-forward-x-custom"]).toBe("v");
      expect(h["upstash-method"]).toBe("POST");
      expect(h["upstash-delay"]).toBe("10s");
      expect(h["upstash-not-before"]).toBe("1700000000");
      expect(h["upstash-retries"]).toBe("2");
      expect(h["upstash-deduplication-id"]).toBe("d1");
      expect(h["upstash-content-based-deduplication"]).toBe("true");
      expect(h["upstash-callback"]).toBe("https://example.com/cb");
      expect(h["upstash-failure-callback"]).toBe("https://example.com/fail");
      expect(h["upstash-timeout"]).toBe("30s");
      expect(h["upstash-flow-control-key"]).toBe("k");
      expect(h["upstash-flow-control-value"]).toBe("parallelism=1, rate=10, period=60s");
    } finally {
      await new Promise<void>((r) => capture.close(() => r()));
    }
  });

  it("flow-control values the client sends are parsed into limits the server reports", async () => {
    await client.publish({ url: dest.url("/fc-config"), body: "x", flowControl: { key: "cfg", parallelism: 3, rate: 7, period: "1m" } });
    await dest.nth("/fc-config");
    const info = await client.flowControl.get("cfg");
    expect(info).toMatchObject({ flowControlKey: "cfg", parallelismMax: 3, rateMax: 7, ratePeriod: 60 });
  });

  it("answers 400 for malformed control headers rather than guessing", async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${qstash.url}/v2/publish/${dest.url("/bad")}`, { method: "POST", headers: { authorization: `Bearer ${qstash.token}`, ...headers }, body: "x" });
    const malformed: Record<string, string>[] = [
      { "Upstash-Delay": "500ms" },
      { "Upstash-Delay": "10" },
      { "Upstash-Retries": "-1" },
      { "Upstash-Not-Before": "soon" },
      { "Upstash-Method": "TRACE" },
      { "Upstash-Retry-Delay": "pow(2," },
      { "Upstash-Flow-Control-Key": "k" },
      { "Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "parallelism=0" },
      { "Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "speed=fast" },
    ];
    for (const headers of malformed) {
      const res = await post(headers);
      expect({ headers, status: res.status }).toEqual({ headers, status: 400 });
      expect(((await res.json()) as { error: string }).error).toBeTruthy();
    }
    const group = await fetch(`${qstash.url}/v2/publish/my-url-group`, { method: "POST", headers: { authorization: `Bearer ${qstash.token}` }, body: "x" });
    expect(group.status).toBe(400);
    expect(dest.on("/bad")).toHaveLength(0);
  });
});

describe("timing", () => {
  it("holds a delayed message until its delay has passed", async () => {
    const before = Date.now();
    await client.publish({ url: dest.url("/delay"), body: "d", delay: 1 });
    expect(dest.on("/delay")).toHaveLength(0);
    const hit = await dest.nth("/delay");
    expect(hit.at - before).toBeGreaterThanOrEqual(1000);
    expect(hit.verified).toBe(true);
  });

  it("holds a message until Upstash-Not-Before (unix seconds)", async () => {
    const notBefore = Math.floor(Date.now() / 1000) + 2;
    await client.publish({ url: dest.url("/not-before"), body: "n", notBefore });
    const hit = await dest.nth("/not-before");
    expect(hit.at).toBeGreaterThanOrEqual(notBefore * 1000);
  });

  it("Upstash-Not-Before wins over Upstash-Delay", async () => {
    const notBefore = Math.floor(Date.now() / 1000) + 1;
    const before = Date.now();
    await client.publish({ url: dest.url("/nb-wins"), body: "n", notBefore, delay: "1h" });
    const hit = await dest.nth("/nb-wins");
    expect(hit.at).toBeGreaterThanOrEqual(notBefore * 1000);
    expect(hit.at - before).toBeLessThan(60_000);
  });
});

describe("deduplication", () => {
  it("a repeated deduplication id answers the first message id with deduplicated: true and delivers once", async () => {
    const publishedTo = new Set<string>();
    const onPublished = (e: { messageId: string; url: string }) => {
      if (e.url === dest.url("/dedup")) publishedTo.add(e.messageId);
    };
    qstash.events.on("published", onPublished);
    try {
      const first = await client.publish({ url: dest.url("/dedup"), body: "one", deduplicationId: "job-1" });
      const second = await client.publish({ url: dest.url("/dedup"), body: "two", deduplicationId: "job-1" });
      expect(second).toMatchObject({ messageId: first.messageId, deduplicated: true });
      await qstash.settled(first.messageId);
      expect(publishedTo.size).toBe(1);
      expect(dest.on("/dedup").map((h) => h.body)).toEqual(["one"]);
      // The HTTP status of a duplicate is 202 (docs, "Deduplication").
      const raw = await fetch(`${qstash.url}/v2/publish/${dest.url("/dedup")}`, {
        method: "POST",
        headers: { authorization: `Bearer ${qstash.token}`, "upstash-deduplication-id": "job-1" },
        body: "three",
      });
      expect(raw.status).toBe(202);
      expect(await raw.json()).toMatchObject({ messageId: first.messageId, deduplicated: true });
    } finally {
      qstash.events.off("published", onPublished);
    }
  });

  it("content-based deduplication keys on destination, body and headers", async () => {
    const a = await client.publish({ url: dest.url("/content"), body: "same", contentBasedDeduplication: true });
    const b = await client.publish({ url: dest.url("/content"), body: "same", contentBasedDeduplication: true });
    const c = await client.publish({ url: dest.url("/content"), body: "different", contentBasedDeduplication: true });
    const d = await client.publish({ url: dest.url("/content"), body: "same", headers: { "X-Other": "1" }, contentBasedDeduplication: true });
    expect(b).toMatchObject({ messageId: a.messageId, deduplicated: true });
    expect(c.deduplicated).toBeUndefined();
    expect(d.deduplicated).toBeUndefined();
    await Promise.all([a, c, d].map((m) => qstash.settled(m.messageId)));
    expect(dest.on("/content")).toHaveLength(3);
  });
});

describe("retries", () => {
  it("retries non-2xx with backoff until a 2xx; Upstash-Retried counts up", async () => {
    dest.reply("/flaky", (n) => (n < 3 ? { status: 500, body: "down" } : { status: 200 }));
    const { messageId } = await client.publish({ url: dest.url("/flaky"), body: "f", retries: 3 });
    const final = await qstash.settled(messageId);
    expect(final).toMatchObject({ state: "DELIVERED", retried: 2 });
    const hits = dest.on("/flaky");
    expect(hits.map((h) => h.headers["upstash-retried"])).toEqual(["0", "1", "2"]);
    expect(hits.every((h) => h.verified === true && h.headers["upstash-message-id"] === messageId)).toBe(true);
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(fastBackoff(0));
    expect(hits[2]!.at - hits[1]!.at).toBeGreaterThanOrEqual(fastBackoff(1));
  });

  it("honours Upstash-Retry-Delay (ms, retried is 0 before the first retry)", async () => {
    dest.reply("/retry-delay", (n) => ({ status: n < 3 ? 503 : 204 }));
    const { messageId } = await client.publish({ url: dest.url("/retry-delay"), body: "r", retries: 2, retryDelay: "100 * (1 + retried)" });
    await expect(qstash.settled(messageId)).resolves.toMatchObject({ state: "DELIVERED" });
    const [a, b, c] = dest.on("/retry-delay") as [Hit, Hit, Hit];
    expect(b.at - a.at).toBeGreaterThanOrEqual(100);
    expect(c.at - b.at).toBeGreaterThanOrEqual(200);
  });

  it("honours Retry-After on a failed delivery", async () => {
    dest.reply("/retry-after", (n) => (n === 1 ? { status: 429, headers: { "Retry-After": "1" } } : { status: 200 }));
    const { messageId } = await client.publish({ url: dest.url("/retry-after"), body: "r" });
    await qstash.settled(messageId);
    const [a, b] = dest.on("/retry-after") as [Hit, Hit];
    expect(b.at - a.at).toBeGreaterThanOrEqual(1000);
  });

  it("489 with Upstash-NonRetryable-Error: true is tried once and dead-lettered", async () => {
    dest.reply("/non-retryable", () => ({ status: 489, headers: { "Upstash-NonRetryable-Error": "true" }, body: "bad payload" }));
    const { messageId } = await client.publish({ url: dest.url("/non-retryable"), body: "x", retries: 3 });
    const final = await qstash.settled(messageId);
    expect(final).toMatchObject({ state: "FAILED", retried: 0 });
    expect(dest.on("/non-retryable")).toHaveLength(1);
    const { messages } = await client.dlq.listMessages();
    const entry = messages.find((m) => m.messageId === messageId);
    expect(entry).toMatchObject({ url: dest.url("/non-retryable"), responseStatus: 489, responseBody: "bad payload", body: "x", maxRetries: 3 });
    expect(entry?.dlqId).toBeTruthy();
  });

  it("489 without the header is an ordinary failure and is retried", async () => {
    dest.reply("/489-plain", (n) => ({ status: n === 1 ? 489 : 200 }));
    const { messageId } = await client.publish({ url: dest.url("/489-plain"), body: "x", retries: 1 });
    await expect(qstash.settled(messageId)).resolves.toMatchObject({ state: "DELIVERED", retried: 1 });
    expect(dest.on("/489-plain")).toHaveLength(2);
  });

  it("after the last retry the message is dead-lettered and the failure callback gets QStash's body", async () => {
    dest.reply("/always-500", () => ({ status: 500, headers: { "X-Why": "db down" }, body: "boom" }));
    const { messageId } = await client.publish({
      url: dest.url("/always-500"),
      body: "payload",
      headers: { "Content-Type": "text/plain", "X-Src": "s" },
      retries: 2,
      failureCallback: dest.url("/failure"),
    });
    const failure = await dest.nth("/failure");
    expect(dest.on("/always-500").map((h) => h.headers["upstash-retried"])).toEqual(["0", "1", "2"]);
    expect(failure.verified).toBe(true);
    expect(failure.headers["content-type"]).toBe("application/json");
    const cb = JSON.parse(failure.body) as Record<string, unknown>;
    const entry = qstash.dlq.find((d) => d.messageId === messageId)!;
    expect(entry).toMatchObject({ responseStatus: 500, responseBody: "boom", retried: 2 });
    expect(cb).toMatchObject({
      status: 500,
      body: Buffer.from("boom").toString("base64"),
      retried: 2,
      maxRetries: 2,
      dlqId: entry.dlqId,
      sourceMessageId: messageId,
      url: dest.url("/always-500"),
      method: "POST",
      sourceBody: Buffer.from("payload").toString("base64"),
      sourceHeader: { "Content-Type": ["text/plain"], "X-Src": ["s"] },
    });
    expect((cb.header as Record<string, string[]>)["X-Why"]).toEqual(["db down"]);
    await expect(qstash.settled(messageId)).resolves.toMatchObject({ state: "FAILED", dlq: { dlqId: entry.dlqId } });
  });

  it("a destination that refuses connections is retried, then dead-lettered with the error", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const { messageId } = await client.publish({ url: `http://127.0.0.1:${port}/gone`, body: "x", retries: 1 });
    const final = await qstash.settled(messageId);
    expect(final).toMatchObject({ state: "FAILED", retried: 1 });
    expect(qstash.dlq.find((d) => d.messageId === messageId)?.error).toMatch(/ECONNREFUSED/);
  });

  it("an attempt past Upstash-Timeout counts as a failure", async () => {
    dest.reply("/slow", (n) => (n === 1 ? { workMs: 1500 } : {}));
    const { messageId } = await client.publish({ url: dest.url("/slow"), body: "x", timeout: 1, retries: 1 });
    await expect(qstash.settled(messageId)).resolves.toMatchObject({ state: "DELIVERED", retried: 1 });
    expect(dest.on("/slow")).toHaveLength(2);
  });

  it("the success callback gets the destination's answer", async () => {
    dest.reply("/with-callback", () => ({ status: 201, body: '{"done":true}' }));
    const { messageId } = await client.publish({ url: dest.url("/with-callback"), body: "x", callback: dest.url("/callback") });
    const hit = await dest.nth("/callback");
    expect(hit.verified).toBe(true);
    expect(JSON.parse(hit.body)).toMatchObject({ status: 201, body: Buffer.from('{"done":true}').toString("base64"), sourceMessageId: messageId, retried: 0 });
  });
});

describe("flow control", () => {
  it("parallelism=1 never has two deliveries of the key in flight", async () => {
    dest.reply("/serial", () => ({ workMs: 30 }));
    const ids = await Promise.all(
      Array.from({ length: 5 }, (_, i) => client.publish({ url: dest.url("/serial"), body: String(i), flowControl: { key: "serial", parallelism: 1 } })),
    );
    await Promise.all(ids.map((r) => qstash.settled(r.messageId)));
    expect(dest.on("/serial")).toHaveLength(5);
    expect(dest.maxActive.get("/serial")).toBe(1);
  });

  it("(control) the same load without flow control does overlap, so the check above can fail", async () => {
    dest.reply("/parallel", () => ({ workMs: 30 }));
    const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => client.publish({ url: dest.url("/parallel"), body: String(i) })));
    await Promise.all(ids.map((r) => qstash.settled(r.messageId)));
    expect(dest.maxActive.get("/parallel")).toBeGreaterThan(1);
  });

  it("rate=2 per second starts no more than two deliveries in any one window", async () => {
    const before = Date.now();
    const ids = await Promise.all(
      Array.from({ length: 3 }, (_, i) => client.publish({ url: dest.url("/rated"), body: String(i), flowControl: { key: "rated", rate: 2, period: 1 } })),
    );
    await Promise.all(ids.map((r) => qstash.settled(r.messageId)));
    const at = dest.on("/rated").map((h) => h.at - before).sort((a, b) => a - b);
    expect(at[1]).toBeLessThan(1000);
    expect(at[2]).toBeGreaterThanOrEqual(1000);
  });
});

describe("batch, cancel, DLQ API", () => {
  it("batch publishes each entry and answers one result per entry, dedup included", async () => {
    const first = await client.publish({ url: dest.url("/batch-dup"), body: "d", deduplicationId: "batch-dup" });
    const answers = await client.batch([
      { url: dest.url("/batch-a"), body: "a", headers: { "X-Item": "a" } },
      { url: dest.url("/batch-b"), body: "b", delay: 1 },
      { url: dest.url("/batch-dup"), body: "d2", deduplicationId: "batch-dup" },
    ]);
    expect(answers).toHaveLength(3);
    expect(answers[2]).toMatchObject({ messageId: first.messageId, deduplicated: true });
    const [a, b] = await Promise.all([dest.nth("/batch-a"), dest.nth("/batch-b")]);
    expect([a.body, a.headers["x-item"], a.verified]).toEqual(["a", "a", true]);
    expect(b.verified).toBe(true);
    await qstash.settled(first.messageId);
    expect(dest.on("/batch-dup")).toHaveLength(1);
  });

  it("a batch with one bad entry stores none of it", async () => {
    const published: string[] = [];
    const onPublished = (e: { url: string }) => published.push(e.url);
    qstash.events.on("published", onPublished);
    const res = await fetch(`${qstash.url}/v2/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${qstash.token}`, "content-type": "application/json" },
      body: JSON.stringify([
        { destination: dest.url("/batch-none"), body: "ok" },
        { destination: dest.url("/batch-none"), headers: { "Upstash-Delay": "soon" } },
      ]),
    });
    qstash.events.off("published", onPublished);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/batch\[1\].*Upstash-Delay/);
    expect(published).toEqual([]);
  });

  it("cancels a pending message, which is then never delivered", async () => {
    const { messageId } = await client.publish({ url: dest.url("/cancel"), body: "c", delay: 60 });
    expect(qstash.pending()).toContain(messageId);
    await expect(client.messages.get(messageId)).resolves.toMatchObject({ messageId, url: dest.url("/cancel") });
    await expect(client.messages.cancel(messageId)).resolves.toEqual({ cancelled: 1 });
    await expect(qstash.settled(messageId)).resolves.toEqual({ state: "CANCELED", messageId });
    expect(qstash.pending()).not.toContain(messageId);
    await expect(client.messages.cancel(messageId)).rejects.toMatchObject({ status: 404 });
    expect(dest.on("/cancel")).toHaveLength(0);
  });

  it("cancels a message waiting in a flow-control wait list", async () => {
    dest.reply("/fc-cancel", () => ({ workMs: 200 }));
    const a = await client.publish({ url: dest.url("/fc-cancel"), body: "a", flowControl: { key: "fc-cancel", parallelism: 1 } });
    const b = await client.publish({ url: dest.url("/fc-cancel"), body: "b", flowControl: { key: "fc-cancel", parallelism: 1 } });
    await dest.nth("/fc-cancel", 1);
    await expect(client.messages.cancel(b.messageId)).resolves.toEqual({ cancelled: 1 });
    await qstash.settled(a.messageId);
    const c = await client.publish({ url: dest.url("/fc-cancel"), body: "c", flowControl: { key: "fc-cancel", parallelism: 1 } });
    await qstash.settled(c.messageId);
    expect(dest.on("/fc-cancel").map((h) => h.body)).toEqual(["a", "c"]);
  });

  it("deletes a dead letter", async () => {
    dest.reply("/dlq-delete", () => ({ status: 489, headers: { "Upstash-NonRetryable-Error": "true" } }));
    const { messageId } = await client.publish({ url: dest.url("/dlq-delete"), body: "x" });
    const final = await qstash.settled(messageId);
    if (final.state !== "FAILED") throw new Error(`expected FAILED, got ${final.state}`);
    await client.dlq.delete(final.dlq.dlqId);
    const { messages } = await client.dlq.listMessages();
    expect(messages.some((m) => m.dlqId === final.dlq.dlqId)).toBe(false);
  });
});

describe("timing rules (units)", () => {
  it("durations take d/h/m/s and chains, not ms", () => {
    expect(parseDuration("10s", "h")).toBe(10_000);
    expect(parseDuration("2m", "h")).toBe(120_000);
    expect(parseDuration("1d10h30m", "h")).toBe(86_400_000 + 36_000_000 + 1_800_000);
    expect(() => parseDuration("500ms", "h")).toThrow();
    expect(() => parseDuration("1.5s", "h")).toThrow();
  });

  it("default backoff is min(86400, e^(2.5·retried)) seconds", () => {
    expect(defaultBackoff(0)).toBe(1000);
    expect(Math.round(defaultBackoff(1) / 1000)).toBe(12);
    expect(Math.round(defaultBackoff(2) / 1000)).toBe(148);
    expect(Math.round(defaultBackoff(3) / 1000)).toBe(1808);
    expect(defaultBackoff(5)).toBe(86_400_000);
  });

  it("retry-delay expressions and Retry-After parse as documented", () => {
    expect(compileRetryDelay("max(1000, pow(2, retried) * 100)")(4)).toBe(1600);
    expect(compileRetryDelay("1000 * (1 + retried)")(2)).toBe(3000);
    expect(() => compileRetryDelay("process.exit()")).toThrow();
    const now = Date.now();
    expect(retryAfterMs(new Headers({ "retry-after": "6m5s" }), now)).toBe(365_000);
    expect(retryAfterMs(new Headers({ "x-ratelimit-reset": "10" }), now)).toBe(10_000);
    expect(retryAfterMs(new Headers({ "retry-after": "172800" }), now)).toBeUndefined();
    expect(parseFlowControlValue("parallelism=2, rate=5, period=1m")).toEqual({ parallelism: 2, rate: 5, periodMs: 60_000 });
  });
});
