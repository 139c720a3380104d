import { describe, expect, it } from "vitest";
import { AppError } from "../lib/errors.js";
import { refusalOf } from "../functions/graph/errors.js";
import { eventually } from "./support/eventually.js";
import { jobSender, useWorkedStack } from "./support/job-kit.js";
import { connectTestNumber, setLimits } from "./support/senders.js";

/**
 * POST /{version}/{phone-number-id}/messages answers as Graph does: the wamid in a 200,
 * and every refusal in Graph's envelope with Graph's code and HTTP status.
 */
const w = useWorkedStack();

type Json = any;
const post = async (pnid: string, body: unknown, headers: Record<string, string> = {}, key = w.s.key) => {
  const res = await w.stack.request(`/v21.0/${pnid}/messages`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Json };
};
const template = (to: string, extra: object = {}) => ({ messaging_product: "whatsapp", to, type: "template", template: { name: "order_update", language: { code: "en_US" }, category: "UTILITY" }, ...extra });
const text = (to: string) => ({ messaging_product: "whatsapp", to, type: "text", text: { body: "hello" } });
const rows = async (workspaceId: string) => Number((await w.stack.owner`select count(*)::int as n from messages where workspace_id = ${workspaceId}`)[0]!.n);

/** Graph's envelope: message, type, numeric code, fbtrace_id; the field named in error_data.details. */
function expectGraphError(r: { status: number; json: Json; headers: Headers }, status: number, code: number) {
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  expect(r.json.error).toMatchObject({ code, type: expect.stringMatching(/^(OAuthException|GraphMethodException)$/), message: expect.any(String), fbtrace_id: r.headers.get("x-request-id") });
  return r.json.error;
}

describe("POST /{version}/{phone-number-id}/messages", () => {
  it("answers 200 with Graph's shape and the real wamid, sent once", async () => {
    const r = await post(w.s.number.phone_number_id, template("+91 98220 11111"));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ messaging_product: "whatsapp", contacts: [{ input: "+91 98220 11111", wa_id: "919822011111" }], messages: [{ id: expect.stringMatching(/^wamid\./) }] });
    expect(w.sandbox.sent.filter((m) => m.id === r.json.messages[0].id)).toHaveLength(1);
  });

  it("another workspace's number does not exist for this key, and nothing is written there", async () => {
    const other = await w.stack.tenant("Other");
    const theirs = await connectTestNumber(w.stack, other.workspaceId);
    for (const pnid of [theirs.phone_number_id, "99999999999", "me"]) {
      const err = expectGraphError(await post(pnid, template("919822011112")), 400, 100);
      expect(err).toMatchObject({ error_subcode: 33, type: "GraphMethodException", message: expect.stringContaining(`Object with ID '${pnid}' does not exist`) });
    }
    expect(await rows(other.workspaceId)).toBe(0);
  });

  it("a bad or missing key is Graph's 190 with WWW-Authenticate", async () => {
    for (const key of [`sk_${"A".repeat(43)}`, "not-a-key"]) {
      const r = await post(w.s.number.phone_number_id, template("919822011113"), {}, key);
      expectGraphError(r, 401, 190);
      expect(r.headers.get("www-authenticate")).toMatch(/^OAuth "Facebook Platform" "invalid_token"/);
    }
    // The access_token query parameter is Graph's other way to pass the token.
    const res = await w.stack.request(`/v21.0/${w.s.number.phone_number_id}/messages?access_token=${w.s.key}`, { method: "POST", body: JSON.stringify(template("919822011114")) });
    expect(res.status).toBe(200);
  });

  it("refuses a bad body with 100, naming the field; a text outside the window with 131047; a marketing template to an opted-out contact with 131050", async () => {
    const bad = expectGraphError(await post(w.s.number.phone_number_id, { messaging_product: "whatsapp", to: "919822011115", type: "image", image: { id: "1", link: "https://x.example/a.png" } }), 400, 100);
    expect(bad.error_data.details).toContain("image: needs exactly one of id");
    expectGraphError(await post(w.s.number.phone_number_id, "{nope"), 400, 100);
    // Refused before the route runs (the body limit), still in Graph's envelope.
    const big = expectGraphError(await post(w.s.number.phone_number_id, { ...text("919822011115"), text: { body: "x".repeat(70_000) } }), 400, 100);
    expect(big.error_data.details).toContain("limited to 65536 bytes");
    expectGraphError(await post(w.s.number.phone_number_id, text("919822011116")), 400, 131047);
    await w.stack.owner`insert into contacts (workspace_id, wa_id, opted_out_at) values (${w.s.workspaceId}, '919822011117', now())`;
    expectGraphError(await post(w.s.number.phone_number_id, template("919822011117", { template: { name: "diwali_sale", language: { code: "en" } } })), 400, 131050);
  });

  it("the sender's daily quota is 131048; Meta's own refusals come back with Meta's code and status", async () => {
    const t = await jobSender(w.stack, w.sandbox, w.receiver.url);
    await setLimits(w.stack, t.workspaceId, { apiKey: { limit: 1000, periodMs: 1000 }, ip: { limit: 1000, periodMs: 1000 }, workspace: { limit: 1000, periodMs: 1000 }, perNumberPerDay: 3 });
    const undeliverable = expectGraphError(await post(t.number.phone_number_id, template("919822010026"), {}, t.key), 400, 131026);
    expect(undeliverable.message).toContain("Message undeliverable");
    expectGraphError(await post(t.number.phone_number_id, template("919822012001"), {}, t.key), 404, 132001);
    expect((await post(t.number.phone_number_id, template("919822011118"), {}, t.key)).status).toBe(200);
    expectGraphError(await post(t.number.phone_number_id, template("919822011119"), {}, t.key), 400, 131048);
  });

  it("the same Idempotency-Key again answers the same wamid; Meta got it once", async () => {
    const first = await post(w.s.number.phone_number_id, template("919822011120"), { "idempotency-key": "graph-once" });
    const again = await post(w.s.number.phone_number_id, template("919822011120"), { "idempotency-key": "graph-once" });
    expect(first.status).toBe(200);
    expect(again.json.messages[0].id).toBe(first.json.messages[0].id);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(w.sandbox.sent.filter((m) => m.to === "919822011120")).toHaveLength(1);
    // The same key on /v1 is another request.
    const v1 = await w.stack.request("/v1/messages", { method: "POST", headers: { authorization: `Bearer ${w.s.key}`, "idempotency-key": "graph-once" }, body: JSON.stringify(template("919822011120")) });
    expect(v1.status).toBe(422);
  });

  it("past GRAPH_SEND_WAIT_MS it answers Graph's shape with Sandesh's id and message_status accepted; the message is still sent, once", async () => {
    w.stopWorkers();
    const wait = w.stack.services.config.graph.sendWaitMs;
    w.stack.services.config.graph.sendWaitMs = 0;
    let r;
    try {
      r = await post(w.s.number.phone_number_id, template("919822011121"));
    } finally {
      w.stack.services.config.graph.sendWaitMs = wait;
      await w.startWorkers();
    }
    expect(r.status).toBe(200);
    expect(r.json.messages).toEqual([{ id: expect.stringMatching(/^[0-9a-f-]{36}$/), message_status: "accepted" }]);
    expect(r.headers.get("x-sandesh-message-status")).toBe("queued");
    const m = await eventually(() => w.s.get(r.json.messages[0].id), (v) => v.status === "read");
    expect(w.sandbox.sent.filter((x) => x.id === m.wamid)).toHaveLength(1);
  });
});

describe("the refusal table", () => {
  it.each([
    ["quota_sender_per_second", 429, 130429, 400],
    ["quota_sender_per_day", 429, 131048, 400],
    ["quota_messaging_tier", 429, 131048, 400],
    ["rate_limited_api_key", 429, 4, 400],
    ["rate_limited_ip", 429, 4, 400],
    ["rate_limited_workspace", 429, 4, 400],
    ["idempotency_in_progress", 409, 2, 503],
    ["temporarily_unavailable", 503, 2, 503],
    ["idempotency_key_reused", 422, 100, 400],
    ["sender_token_invalid", 422, 190, 401],
    ["no_whatsapp_number", 422, 100, 400],
    ["internal_error", 500, 1, 500],
    ["template_not_approved", 422, 132001, 404],
    ["template_parameters_mismatch", 422, 132000, 400],
  ])("%s (HTTP %i) → code %i, HTTP %i, Retry-After kept", (code, status, graphCode, graphStatus) => {
    const r = refusalOf(new AppError(status, code, "why", undefined, { "Retry-After": "2" }), "1234");
    expect([r.code, r.status]).toEqual([graphCode, graphStatus]);
    if (graphCode !== 1 && code !== "no_whatsapp_number") expect(r.headers).toEqual({ "Retry-After": "2" });
  });

  it("a template the catalogue holds paused or disabled is Meta's 132015 or 132016", () => {
    expect(refusalOf(new AppError(422, "template_not_approved", "x", { status: "PAUSED" }), "1").code).toBe(132015);
    expect(refusalOf(new AppError(422, "template_not_approved", "x", { status: "DISABLED" }), "1").code).toBe(132016);
    expect(refusalOf(new AppError(422, "template_not_approved", "x", { status: "PENDING" }), "1").code).toBe(132001);
  });
});
