import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Client, Receiver } from "@upstash/qstash";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { qstash, client, dest, sha256b64url } from "./support/qstash-kit.js";

/** The local QStash, delivery side: signatures the real Receiver accepts, the client's exact wire format, delays, deduplication. */
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
