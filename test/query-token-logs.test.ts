import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../lib/logger.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// Graph SDKs may send the key as ?access_token=: accepted, and never written to a log.
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

const body = JSON.stringify({ messaging_product: "whatsapp", to: "919822011114", type: "text", text: { body: "hi" } });

describe("?access_token= on the Graph surface", () => {
  it("a key in the query string reaches no log line; the access log names the route pattern only", async () => {
    const t = await stack.tenant();
    const revoked = "sk_test_notakeyatall0123456789abcdef";
    const from = stack.logs.length;
    const answers = await Promise.all([
      stack.request(`/v21.0/100200300/messages?access_token=${t.key}`, { method: "POST", body }), // not the key's number
      stack.request(`/v21.0/100200300/messages?access_token=${revoked}`, { method: "POST", body }), // unknown key
      stack.request(`/v21.0/100200300/messages?appsecret_proof=x&access_token=${t.key}`, { method: "POST", body: "{not json" }),
    ]);
    expect(answers.map((r) => r.status)).toEqual([400, 401, 400]);
    const lines = stack.logs.slice(from);
    const all = lines.join("\n");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const secret of [t.key, t.key.slice(3), revoked, "access_token", "100200300/messages?"]) expect(all).not.toContain(secret);
    const routes = lines.map((l) => JSON.parse(l)).filter((r) => r.msg === "request").map((r) => r.route);
    expect(routes).toHaveLength(3);
    for (const r of routes) expect(r).toMatch(/^\/:version.*\/:phoneNumberId\/messages$/);
  });

  it("a URL quoted in an error keeps no access_token value, whatever its shape", () => {
    const out: string[] = [];
    const log = createLogger("debug", (l) => out.push(l));
    log.error("graph call failed", { error: new Error("Invalid URL: https://h/v21.0/1/messages?access_token=plainvalue123&x=1"), url: "/v21.0/1/messages?ACCESS_TOKEN=other456" });
    expect(out.join("")).not.toMatch(/plainvalue123|other456/);
    expect(out.join("")).toContain("x=1");
  });
});
