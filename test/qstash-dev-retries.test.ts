import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { compileRetryDelay, defaultBackoff, parseDuration, retryAfterMs } from "../dev/qstash/timing.js";
import { parseFlowControlValue } from "../dev/qstash/flow-control.js";
import { qstash, client, dest, fastBackoff, type Hit } from "./support/qstash-kit.js";

/** The local QStash, failure side: retries and backoff, dead letters, callbacks, flow control, batch and cancel, timing rules. */
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
