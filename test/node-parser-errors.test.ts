import { connect } from "node:net";
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerClientError } from "../dev/client-error.js";
import { SECURITY_HEADERS } from "../functions/middleware/security.js";
import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { createTestStack, type TestStack } from "./support/stack.js";

let stack: TestStack;
let server: Server;
let port: number;
beforeAll(async () => {
  stack = await createTestStack();
  await new Promise<void>((resolve) => {
    server = serve({ fetch: (req) => stack.app.fetch(req, { services: stack.services, ip: "127.0.0.1" }), port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
      port = info.port;
      resolve();
    }) as Server;
  });
  // As dev/server.ts does for `npm start`.
  server.on("clientError", answerClientError);
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await stack.close();
});

/** Raw bytes to the Node server, and the whole answer back (it closes the connection). */
const raw = (bytes: string) =>
  new Promise<string>((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => s.write(bytes));
    let got = "";
    s.on("data", (d) => (got += d));
    s.on("end", () => resolve(got));
    s.on("error", reject);
  });

const parse = (answer: string) => {
  const [head, body] = answer.split("\r\n\r\n");
  const [statusLine, ...lines] = head!.split("\r\n");
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
  return { status: Number(statusLine!.split(" ")[1]), headers, body: JSON.parse(body!) };
};

describe("requests Node's parser refuses still get the error shape and the security headers", () => {
  it.each([
    ["a malformed request line", "NOT HTTP AT ALL\r\n\r\n", 400, "bad_request"],
    ["a malformed header line", "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400, "bad_request"],
    ["headers over Node's limit", `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431, "request_header_fields_too_large"],
  ])("%s", async (_, bytes, status, code) => {
    const r = parse(await raw(bytes));
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ error: { code, message: expect.any(String), request_id: r.headers["x-request-id"] } });
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(r.headers[k.toLowerCase()]).toBe(v);
    expect(r.headers["content-type"]).toBe("application/json");
  });
});
