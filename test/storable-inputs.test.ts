import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, type TestStack } from "./support/stack.js";
import { connectTestNumber, setLimits } from "./support/senders.js";

// Values that are valid JSON and pass every schema, but that PostgreSQL cannot store.
// Each must be a 422 naming its field, never a 5xx a client would retry forever.

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
});
afterAll(() => stack.close());

const HIGH = { apiKey: { limit: 10000, periodMs: 1000 }, ip: { limit: 10000, periodMs: 1000 }, workspace: { limit: 10000, periodMs: 1000 } };
const TO = "919812300001";

async function sender() {
  const t = await stack.tenant();
  await setLimits(stack, t.workspaceId, HIGH);
  const n = await connectTestNumber(stack, t.workspaceId);
  await stack.owner`insert into customer_windows (workspace_id, whatsapp_number_id, wa_id, last_inbound_at) values (${t.workspaceId}, ${n.id}, ${TO}, now())`;
  const call = (method: string, path: string, body?: string) =>
    stack.request(path, { method, ...(body !== undefined ? { body } : {}), headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" } });
  return { ...t, call };
}

const nested = (depth: number): unknown => (depth === 0 ? "leaf" : { next: nested(depth - 1) });
const deepField = ["interactive", "action", ...Array<string>(30).fill("next")].join(".");

const unstorableMessages: [string, unknown, string][] = [
  ["a NUL in a text body", { to: TO, type: "text", text: { body: "hello\u0000world" } }, "text.body"],
  ["a lone surrogate in a text body", { to: TO, type: "text", text: { body: "broken \ud800 pair" } }, "text.body"],
  ["a trailing lone surrogate", { to: TO, type: "text", text: { body: "end \udc00" } }, "text.body"],
  [
    "a NUL in a template parameter",
    { to: TO, type: "template", template: { name: "order_update", language: { code: "en_US" }, category: "UTILITY", components: [{ type: "body", parameters: [{ type: "text", text: "a\u0000b" }] }] } },
    "template.components.0.parameters.0.text",
  ],
  ["a NUL in a forwarded field name", { to: TO, type: "interactive", interactive: { type: "button", action: { "bad\u0000key": 1 } } }, "interactive.action.bad\\u0000key"],
  ["nesting deeper than 32 levels in interactive", { to: TO, type: "interactive", interactive: { type: "button", action: nested(40) } }, deepField],
];

describe("POST /v1/messages: values that cannot be stored", () => {
  it.each(unstorableMessages)("%s is 422 validation_failed naming the field, and nothing is written", async (_what, body, field) => {
    const s = await sender();
    const res = await s.call("POST", "/v1/messages", JSON.stringify(body));
    expect(res.status).toBe(422);
    const { error } = await res.json();
    expect(error.code).toBe("validation_failed");
    expect(error.details).toEqual([{ field, message: expect.any(String) }]);
    expect((await stack.owner`select count(*)::int as n from messages where workspace_id = ${s.workspaceId}`)[0]!.n).toBe(0);
  });

  it("the well-formed neighbours of those values are accepted: a surrogate pair, nesting of 30 levels", async () => {
    const s = await sender();
    const pair = await s.call("POST", "/v1/messages", JSON.stringify({ to: TO, type: "text", text: { body: "namaste 🙏" } }));
    expect(pair.status).toBe(202);
    const deep = await s.call("POST", "/v1/messages", JSON.stringify({ to: TO, type: "interactive", interactive: { type: "button", action: nested(29) } }));
    expect(deep.status).toBe(202);
  });
});

describe("GET /v1/messages: cursors that cannot be compared", () => {
  it.each([
    ["a date after year 9999", "+275760-09-13T00:00:00.000Z"],
    ["a date before year 0", "-271821-04-20T00:00:00.000Z"],
    ["a date written another way", "Tue, 01 Dec 2026 10:00:00 GMT"],
  ])("%s is 422 validation_failed on the cursor", async (_what, at) => {
    const s = await sender();
    const cursor = btoa(`${at}|01890a5d-ac96-774b-bcce-b302099a8057`).replace(/=+$/, "");
    const res = await s.call("GET", `/v1/messages?cursor=${encodeURIComponent(cursor)}`);
    expect(res.status).toBe(422);
    const { error } = await res.json();
    expect(error).toMatchObject({ code: "validation_failed", details: [{ field: "cursor" }] });
  });
});

describe("/v1/webhook-endpoints: values that cannot be stored", () => {
  it.each([
    ["a NUL in the description", { url: "https://hooks.example.com/in", description: "ops\u0000team" }, "description"],
    ["a lone surrogate in the description", { url: "https://hooks.example.com/in", description: "ops \udbff" }, "description"],
  ])("%s is 422 validation_failed naming the field, at create and update, and nothing is written", async (_what, body, field) => {
    const s = await sender();
    const created = await s.call("POST", "/v1/webhook-endpoints", JSON.stringify(body));
    expect(created.status).toBe(422);
    expect((await created.json()).error).toMatchObject({ code: "validation_failed", details: [{ field }] });
    expect((await stack.owner`select count(*)::int as n from webhook_endpoints where workspace_id = ${s.workspaceId}`)[0]!.n).toBe(0);

    const ok = await s.call("POST", "/v1/webhook-endpoints", JSON.stringify({ url: "https://hooks.example.com/in", description: "ops" }));
    const { id } = await ok.json();
    const patched = await s.call("PATCH", `/v1/webhook-endpoints/${id}`, JSON.stringify({ description: body.description }));
    expect(patched.status).toBe(422);
    expect((await patched.json()).error).toMatchObject({ code: "validation_failed", details: [{ field }] });
    expect((await stack.owner`select description from webhook_endpoints where id = ${id}`)[0]!.description).toBe("ops");
  });
});
