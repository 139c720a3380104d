import { describe, expect, it } from "vitest";
import { readTag } from "../lib/meta/tag.js";
import { eventually } from "./support/eventually.js";
import { useWorkedStack } from "./support/job-kit.js";
import { KINDS, type Kind } from "./support/message-kinds.js";

/**
 * Every message kind and form Meta documents goes through Sandesh unchanged: the body
 * Meta receives is the body the client sent, plus `messaging_product`, less Sandesh's
 * own fields (`from`, `template.category`), with the client's biz_opaque_callback_data
 * inside Sandesh's mark; and each reaches `read` against the Meta sandbox.
 */
const w = useWorkedStack();

type Json = Record<string, unknown>;

/** What Meta must receive for a body the client sent. */
function expectedAtMeta(body: Json): Json {
  const { from: _from, ...rest } = body;
  if (rest.type === "template") {
    const { category: _c, ...template } = rest.template as Json;
    rest.template = template;
  }
  return { messaging_product: "whatsapp", ...rest };
}

/** The contact wrote to this number just now: free-form messages may go to them. */
const openWindow = (waId: string) =>
  w.stack.owner`insert into customer_windows (workspace_id, whatsapp_number_id, wa_id, last_inbound_at) values (${w.s.workspaceId}, ${w.s.number.id}, ${waId}, now())
                on conflict (whatsapp_number_id, wa_id) do update set last_inbound_at = excluded.last_inbound_at`;

export interface Route {
  name: string;
  /** Sends the body; answers the Sandesh message id. */
  send(body: Json): Promise<string>;
}

const v1: Route = {
  name: "POST /v1/messages",
  async send(body) {
    const res = await w.stack.request("/v1/messages", { method: "POST", headers: { authorization: `Bearer ${w.s.key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const text = await res.text();
    expect(res.status, text).toBe(202);
    return JSON.parse(text).id as string;
  },
};

/** The Graph-compatible route, as an SDK calls it: the answer carries the real wamid. */
const graph: Route = {
  name: "POST /{version}/{phone-number-id}/messages",
  async send(body) {
    const res = await w.stack.request(`/v23.0/${w.s.number.phone_number_id}/messages`, { method: "POST", headers: { authorization: `Bearer ${w.s.key}`, "content-type": "application/json" }, body: JSON.stringify({ messaging_product: "whatsapp", ...body }) });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const answer = JSON.parse(text);
    expect(answer).toMatchObject({ messaging_product: "whatsapp", messages: [{ id: expect.stringMatching(/^wamid\./) }] });
    expect(answer.contacts).toHaveLength(1);
    const [row] = await w.stack.owner`select id from messages where workspace_id = ${w.s.workspaceId} and wamid = ${answer.messages[0].id}`;
    return row!.id as string;
  },
};

// Never a failure recipe: no suffix of the sandbox's ends in 4.
let n = 0;
const phone = (route: number) => `91990${route}${String(n++).padStart(5, "0")}4`;

async function roundTrip(route: Route, routeNo: number, kind: Kind) {
  const who = kind.recipient ?? { to: phone(routeNo) };
  const body = { ...kind.body, ...who } as Json;
  if ("to" in who && !("recipient_type" in who)) await openWindow(who.to.replace(/\D/g, ""));
  const id = await route.send(route === graph ? { messaging_product: "whatsapp", ...body } : body);
  const m = await eventually(() => w.s.get(id), (v) => v.status === "read" || v.status === "failed");
  expect(m.status, JSON.stringify(m.error)).toBe("read");
  const atMeta = w.sandbox.sent.filter((x) => x.id === m.wamid);
  expect(atMeta).toHaveLength(1);
  const { biz_opaque_callback_data: tag, ...received } = atMeta[0]!.body;
  const { biz_opaque_callback_data: own, ...expected } = expectedAtMeta(body);
  expect(received).toEqual(expected);
  // Sandesh's mark names the message; the client's own value rides inside it, unchanged.
  expect(readTag(tag)).toEqual({ messageId: id, clientValue: own ?? undefined });
  return { id, own };
}

describe.each([[v1, 1], [graph, 2]] as const)("%s: every kind Meta documents", (route, routeNo) => {
  it.each(KINDS.map((k) => [k.name, k] as const))("%s reaches Meta unchanged and ends read", async (_name, kind) => {
    await roundTrip(route, routeNo, kind);
  });

  it("echoes the client's biz_opaque_callback_data in its events, without Sandesh's mark", async () => {
    const kind = KINDS.find((k) => k.name.startsWith("biz_opaque_callback_data"))!;
    const { id, own } = await roundTrip(route, routeNo, kind);
    const events = await eventually(() => w.s.events(id), (e) => e.some((x) => x.type === "message.read"));
    for (const e of events.filter((x) => x.type === "message.read" || x.type === "message.delivered")) expect(e.data.biz_opaque_callback_data).toBe(own);
    expect(JSON.stringify(events)).not.toContain("sandesh:");
  });
});

const READS: [string, Json & { message_id: string }][] = [
  ["mark as read", { messaging_product: "whatsapp", status: "read", message_id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA" }],
  ["a typing indicator", { messaging_product: "whatsapp", status: "read", message_id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTYA", typing_indicator: { type: "text" } }],
];

describe("mark as read and typing indicators", () => {
  it.each(READS.flatMap(([name, body]) => [["/v1/messages", name, body] as const, ["/v23.0/{phone-number-id}/messages", name, body] as const]))("%s: %s goes to Meta at once as sent, answers {success: true}, and is not a message", async (path, _name, read) => {
    const body = { ...read, message_id: `${read.message_id}${path.length}` };
    const before = Number((await w.stack.owner`select count(*)::int as n from messages where workspace_id = ${w.s.workspaceId}`)[0]!.n);
    const res = await w.stack.request(path.replace("{phone-number-id}", w.s.number.phone_number_id), { method: "POST", headers: { authorization: `Bearer ${w.s.key}` }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true });
    const got = w.sandbox.reads.filter((r) => r.messageId === body.message_id);
    expect(got).toHaveLength(1);
    expect(got[0]!.body).toEqual(body);
    expect(got[0]!.phoneNumberId).toBe(w.s.number.phone_number_id);
    expect(Number((await w.stack.owner`select count(*)::int as n from messages where workspace_id = ${w.s.workspaceId}`)[0]!.n)).toBe(before);
  });

  it("a read receipt without message_id is refused naming it, and Meta's refusal is named", async () => {
    const res = await w.stack.request("/v1/messages", { method: "POST", headers: { authorization: `Bearer ${w.s.key}` }, body: JSON.stringify({ messaging_product: "whatsapp", status: "read" }) });
    expect(res.status).toBe(422);
    expect((await res.json()).error.details).toEqual([{ field: "message_id", message: "is required" }]);
    const bad = await w.stack.request("/v1/messages", { method: "POST", headers: { authorization: `Bearer ${w.s.key}` }, body: JSON.stringify({ messaging_product: "whatsapp", status: "read", message_id: "wamid.x", typing_indicator: { type: "audio" } }) });
    expect(bad.status).toBe(422);
    expect((await bad.json()).error).toMatchObject({ code: "meta_refused", details: { meta_code: 100 } });
  });
});

describe("what Meta would refuse is refused, the field named", () => {
  it.each([
    [{ type: "image", image: { id: "1479537139650973", link: "https://cdn.example/a.png" } }, "image"],
    [{ type: "image", image: { caption: "no source" } }, "image"],
    [{ type: "location", location: { latitude: "north", longitude: 0 } }, "location.latitude"],
    [{ type: "text", text: { body: "x" }, recipient_type: "group" }, "to"],
    [{ type: "text", text: { body: "x" }, recipient: "not-a-user-id" }, "recipient"],
  ])("%j → 422 naming %s, nothing sent", async (body, field) => {
    const before = w.sandbox.attempts.length;
    const to = "to" in body || "recipient" in body || "recipient_type" in body ? {} : { to: phone(9) };
    const res = await w.stack.request("/v1/messages", { method: "POST", headers: { authorization: `Bearer ${w.s.key}` }, body: JSON.stringify({ ...body, ...to }) });
    expect(res.status).toBe(422);
    expect((await res.json()).error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(w.sandbox.attempts.length).toBe(before);
  });
});
