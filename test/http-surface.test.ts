import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../functions/app.js";
import { createNodeServices } from "../dev/services.js";
import { createLogger } from "../lib/logger.js";
import { connectNumber } from "../lib/whatsapp/numbers.js";
import { createTestStack, testConfig, type TestStack } from "./support/stack.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

const SECURITY_HEADERS = {
  "strict-transport-security": /max-age=\d+; includeSubDomains/,
  "x-content-type-options": /^nosniff$/,
  "x-frame-options": /^DENY$/,
  "referrer-policy": /^no-referrer$/,
};

describe("the HTTP surface", () => {
  it.each([
    ["/healthz", 200],
    ["/v1/workspace", 401],
    ["/nowhere", 404],
  ])("%s answers %i with security headers and a request id", async (path, status) => {
    const res = await stack.request(path);
    expect(res.status).toBe(status);
    for (const [h, re] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(h)).toMatch(re);
    expect(res.headers.get("x-request-id")).toMatch(/^[\w-]{8,}$/);
  });

  it("sets exactly the headers hono/secure-headers would, with our choices", async () => {
    const { secureHeaders } = await import("hono/secure-headers");
    const { Hono } = await import("hono");
    const { SECURITY_HEADERS: ours } = await import("../functions/middleware/security.js");
    const ref = new Hono();
    ref.use(secureHeaders({
      strictTransportSecurity: "max-age=63072000; includeSubDomains; preload",
      xFrameOptions: "DENY",
      xContentTypeOptions: "nosniff",
      referrerPolicy: "no-referrer",
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      crossOriginResourcePolicy: "same-origin",
    }));
    ref.get("/", (c) => c.body(null, 204));
    const expected = Object.fromEntries([...(await ref.request("/")).headers]);
    expect(Object.fromEntries(Object.entries(ours).map(([k, v]) => [k.toLowerCase(), v]))).toEqual(expected);
    // And they reach every kind of answer: success, error, and an unknown route.
    for (const path of ["/healthz", "/v1/workspace", "/nowhere"]) {
      const res = await stack.request(path);
      for (const [k, v] of Object.entries(expected)) expect(res.headers.get(k), `${path} ${k}`).toBe(v);
    }
  });

  it("an unknown route is a 404 in the one error shape", async () => {
    const res = await stack.request("/v2/nothing");
    expect(await res.json()).toEqual({ error: { code: "not_found", message: expect.any(String), request_id: res.headers.get("x-request-id") } });
  });

  it("the request id is the server's; a caller's X-Request-Id is only logged beside it, bounded and printable", async () => {
    const res = await stack.request("/v2/nothing", { headers: { "x-request-id": "caller-trace-123" } });
    const id = res.headers.get("x-request-id")!;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect((await res.json()).error.request_id).toBe(id);
    const line = JSON.parse(stack.logs.find((l) => l.includes(id) && l.includes('"request"'))!);
    expect(line).toMatchObject({ request_id: id, client_request_id: "caller-trace-123" });

    const long = await stack.request("/healthz", { headers: { "x-request-id": `${"a".repeat(5000)}\u00e9` } });
    const longId = long.headers.get("x-request-id")!;
    expect(longId).not.toContain("aaaa");
    const logged = JSON.parse(stack.logs.find((l) => l.includes(longId) && l.includes('"request"'))!);
    expect(logged.client_request_id).toBe("a".repeat(128));
  });

  it("a 70 KB body is refused with 413 before it is parsed", async () => {
    const t = await stack.tenant();
    const body = JSON.stringify({ to: "15551234567", type: "text", text: { body: "x".repeat(70 * 1024) } });
    const res = await stack.request("/v1/workspace", { method: "POST", body, headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe("payload_too_large");
  });

  it("a streamed body with no Content-Length is cut off at the limit too", async () => {
    const chunk = new TextEncoder().encode("y".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent++ < 6) ctrl.enqueue(chunk);
        else ctrl.close();
      },
    });
    const res = await stack.request("/v1/workspace", { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
  });
});

describe("/healthz", () => {
  it("says which dependency is down, with 503", async () => {
    const app = buildApp();
    const cases = [
      [{ REDIS_URL: "redis://127.0.0.1:1" }, { database: "ok", redis: "down", vault: "ok", writer: "ok" }],
      [{ DATABASE_URL: "postgres://sandesh_app@127.0.0.1:1/none" }, { database: "down", redis: "ok", vault: "unknown", writer: "down" }],
    ] as const;
    for (const [override, checks] of cases) {
      const services = createNodeServices(
        testConfig({ DATABASE_URL: stack.config.databaseUrl, REDIS_URL: "redis://127.0.0.1:6379", REDIS_PREFIX: stack.config.redis.prefix, ...override }),
        { logger: createLogger("silent") },
      );
      try {
        const res = await app.fetch(new Request("http://x/healthz"), { services });
        expect(res.status).toBe(503);
        expect(await res.json()).toEqual({ status: "unavailable", checks });
      } finally {
        await services.close();
      }
    }
  });
});

describe("logs", () => {
  it("one JSON line per request with method, route, status, ms, request id and workspace id", async () => {
    const t = await stack.tenant();
    const res = await stack.request("/v1/workspace", { headers: { authorization: `Bearer ${t.key}` } });
    const id = res.headers.get("x-request-id");
    const line = stack.logs.map((l) => JSON.parse(l)).find((r) => r.request_id === id && r.msg === "request");
    expect(line).toMatchObject({ level: "info", method: "GET", route: "/v1/workspace", status: 200, workspace_id: t.workspaceId });
    expect(typeof line.ms).toBe("number");
  });

  it("never contain an API key, bearer token, cookie, Meta token or vault plaintext", async () => {
    const t = await stack.tenant();
    const META_TOKEN = "EAAPlantedMetaToken9876543210abcdefghij";
    await connectNumber(stack.services, { workspaceId: t.workspaceId, phoneNumberId: "5550001", wabaId: "77", token: META_TOKEN }, { actorType: "operator" });
    const COOKIE = "sid=planted-session-cookie-value-42";
    await stack.request("/v1/workspace", { headers: { authorization: `Bearer ${t.key}`, cookie: COOKIE } });
    await stack.request("/v1/workspace", { headers: { authorization: `Bearer ${t.key.slice(0, -1)}Z`, cookie: COOKIE } });
    await stack.request("/nowhere", { headers: { authorization: `Bearer ${t.key}` } });
    // A careless log call that hands the logger secrets is redacted, not written.
    stack.services.logger.error(`calling Meta with Bearer ${META_TOKEN}`, { authorization: `Bearer ${t.key}`, token: META_TOKEN, cookie: COOKIE, note: `key ${t.key}` });
    const all = stack.logs.join("\n");
    expect(stack.logs.length).toBeGreaterThan(3);
    for (const secret of [t.key, META_TOKEN, "planted-session-cookie-value-42", stack.config.vault.keks[1]!]) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain("[redacted]");
  });
});
