import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { META_WEBHOOK_MAX_BYTES } from "../functions/middleware/security.js";
import { UNVERIFIED_BODY_BUDGET } from "../functions/meta/index.js";
import { VERIFY_ATTEMPTS_PER_MINUTE } from "../lib/ingest/verification.js";
import { eventually } from "./support/eventually.js";
import { serveStack } from "./support/served.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

const fromIp = (ip: string, path: string, init: RequestInit = {}) => Promise.resolve(stack.app.fetch(new Request(`http://sandesh.test${path}`, init), { services: stack.services, ip }));
const WELL_FORMED = `sha256=${"ab".repeat(32)}`;

describe("POST /webhooks/meta refuses before reading", () => {
  it.each([
    ["a missing", undefined],
    ["a malformed", "sha256=nothex"],
    ["another scheme's", `sha1=${"ab".repeat(20)}`],
  ])("%s signature header is 401 and not one byte of the body is read", async (_, signature) => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({ pull: (ctl) => (pulled++, ctl.enqueue(new Uint8Array(64 * 1024))) }, { highWaterMark: 0 });
    const res = await fromIp("203.0.113.30", "/webhooks/meta", { method: "POST", body, duplex: "half", headers: signature ? { "x-hub-signature-256": signature } : {} } as RequestInit);
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe("invalid_signature");
    expect(pulled).toBe(0);
  });

  it("a streamed body with a well-formed header is still cut off at 4 MiB with 413", async () => {
    let sent = 0;
    const chunk = new Uint8Array(256 * 1024);
    const body = new ReadableStream<Uint8Array>({ pull: (ctl) => (sent++ < 40 ? ctl.enqueue(chunk) : ctl.close()) }, { highWaterMark: 0 });
    const res = await fromIp("203.0.113.31", "/webhooks/meta", { method: "POST", body, duplex: "half", headers: { "x-hub-signature-256": WELL_FORMED } } as RequestInit);
    expect(res.status).toBe(413);
    expect(sent).toBeLessThanOrEqual(META_WEBHOOK_MAX_BYTES / chunk.length + 1);
  });
});

describe("unverified bodies are bounded per process", () => {
  let server: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    server = await serveStack(stack);
  });
  afterAll(() => server.close());

  /** A client that declares the largest body, sends a little of it, and stalls. */
  const stall = (port: number) =>
    new Promise<Socket>((resolve) => {
      const s = connect(port, "127.0.0.1", () => {
        s.write(`POST /webhooks/meta HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Hub-Signature-256: ${WELL_FORMED}\r\nContent-Length: ${META_WEBHOOK_MAX_BYTES}\r\n\r\n{"object":`);
        resolve(s);
      });
      s.on("error", () => {});
    });
  const small = () => fetch(`${server.url}/webhooks/meta`, { method: "POST", body: "{}", headers: { "x-hub-signature-256": WELL_FORMED } });

  it("while the budget is held by stalled bodies, the next post gets 503 with Retry-After; once they go, posts are read again", async () => {
    const port = Number(new URL(server.url).port);
    const stalled: Socket[] = [];
    for (let i = 0; i < UNVERIFIED_BODY_BUDGET / META_WEBHOOK_MAX_BYTES; i++) stalled.push(await stall(port));
    const refused = await eventually(small, (r) => r.status === 503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await refused.json()).error.code).toBe("temporarily_unavailable");
    for (const s of stalled) s.destroy();
    // Read, then refused for its (fake) signature: the budget came back.
    expect((await eventually(small, (r) => r.status !== 503)).status).toBe(401);
  });
});

describe("GET /webhooks/meta: verify-token guessing", () => {
  const verify = (ip: string, token: string) => fromIp(ip, `/webhooks/meta?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=42`);

  it(`an address gets ${VERIFY_ATTEMPTS_PER_MINUTE} tries a minute, then 429 even with the right token; another address is unaffected`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < VERIFY_ATTEMPTS_PER_MINUTE; i++) statuses.push((await verify("198.51.100.40", `guess-${i}`)).status);
    expect(statuses.every((s) => s === 403)).toBe(true);
    const over = await verify("198.51.100.40", TEST_SECRETS.META_VERIFY_TOKEN);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const other = await verify("198.51.100.41", TEST_SECRETS.META_VERIFY_TOKEN);
    expect(other.status).toBe(200);
    expect(await other.text()).toBe("42");
  });

  it("parallel guesses cannot slip under the limit", async () => {
    const res = await Promise.all(Array.from({ length: 50 }, (_, i) => verify("198.51.100.42", `g${i}`)));
    expect(res.filter((r) => r.status === 403)).toHaveLength(VERIFY_ATTEMPTS_PER_MINUTE);
  });
});
