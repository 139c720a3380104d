import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";
import { connectTestNumber } from "./support/senders.js";
import { envelope, inboundValue, INBOUND_SAMPLES, sign } from "./support/meta-payloads.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

type Tenant = Awaited<ReturnType<TestStack["tenant"]>>;
const call = (t: Tenant, method: string, path: string, body?: unknown) =>
  stack.request(`/v1/contacts${path}`, {
    method,
    headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
const create = async (t: Tenant, body: Record<string, unknown>) => {
  const res = await call(t, "POST", "", body);
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
};
let n = 0;
const number = () => `9198${String(Date.now() % 1e6).padStart(6, "0")}${String(n++ % 100).padStart(2, "0")}`;

describe("POST /v1/contacts", () => {
  it("normalises the number to digits and answers the contact", async () => {
    const t = await stack.tenant();
    const c = await create(t, { wa_id: "+91 98123-45678", name: " Asha ", attributes: { city: "Pune", orders: 3 }, tags: ["vip", "vip", "diwali"] });
    expect(c).toMatchObject({ wa_id: "919812345678", name: "Asha", attributes: { city: "Pune", orders: 3 }, tags: ["vip", "diwali"], marketing_opt_in: null, marketing_opt_out: null });
  });

  it("a second contact with the same number is 409 contact_exists naming the first", async () => {
    const t = await stack.tenant();
    const first = await create(t, { wa_id: "919800000001" });
    const res = await call(t, "POST", "", { wa_id: "+919800000001" });
    expect(res.status).toBe(409);
    expect((await res.json()).error).toMatchObject({ code: "contact_exists", details: { id: first.id } });
  });

  it.each([
    [{ wa_id: "12" }, "wa_id"],
    [{ wa_id: "919800000002", attributes: { nested: { a: 1 } } }, "attributes.nested"],
    [{ wa_id: "919800000002", attributes: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }, "attributes"],
    [{ wa_id: "919800000002", attributes: { tags: "x" } }, "attributes"],
    [{ wa_id: "919800000002", tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }, "tags"],
    [{ wa_id: "919800000002", tags: ["a;b"] }, "tags.0"],
    [{ wa_id: "919800000002", marketing_opt_in: true, marketing_opt_out: true }, "body"],
    [{ wa_id: "919800000002", nickname: "x" }, "nickname"],
  ])("refuses %j with 422 naming %s", async (body, field) => {
    const t = await stack.tenant();
    const res = await call(t, "POST", "", body);
    expect(res.status).toBe(422);
    const err = (await res.json()).error;
    expect(err.code).toBe("validation_failed");
    expect(err.details.map((d: { field: string }) => d.field)).toContain(field);
  });
});

describe("consent as evidence", () => {
  it("opt-in and opt-out by API are kept as rows, who and when and how, not only the latest state", async () => {
    const t = await stack.tenant();
    const c = await create(t, { wa_id: number(), marketing_opt_in: { at: "2026-11-01T10:00:00.000Z", source: "web_form" } });
    expect(c.marketing_opt_in).toEqual({ at: "2026-11-01T10:00:00.000Z", source: "web_form" });
    const out = await (await call(t, "PATCH", `/${c.id}`, { marketing_opt_out: true })).json();
    expect(out.marketing_opt_in).toBeNull();
    expect(out.marketing_opt_out).toMatchObject({ source: "api" });
    // Opting out again changes nothing and records nothing.
    await call(t, "PATCH", `/${c.id}`, { marketing_opt_out: true });
    const got = await (await call(t, "GET", `/${c.id}`)).json();
    expect(got.consent_history).toEqual([
      { kind: "opt_in", source: "web_form", actor: { type: "api_key", id: t.keyId }, at: "2026-11-01T10:00:00.000Z", details: {} },
      { kind: "opt_out", source: "api", actor: { type: "api_key", id: t.keyId }, at: expect.any(String), details: {} },
    ]);
  });

  it("a STOP keyword from an inbound message writes a consent row for the contact inbound created", async () => {
    const t = await stack.tenant();
    const num = await connectTestNumber(stack, t.workspaceId);
    const who = number();
    const ts = Math.floor(Date.now() / 1000);
    const body = JSON.stringify(envelope(num.phone_number_id, inboundValue({ ...INBOUND_SAMPLES.text!(who, `wamid.stop${ts}${who}`, ts), text: { body: "STOP" } })));
    const res = await stack.request("/webhooks/meta", { method: "POST", body, headers: { "content-type": "application/json", "x-hub-signature-256": sign(TEST_SECRETS.META_APP_SECRET, body) } });
    expect(res.status).toBe(200);
    const list = await (await call(t, "GET", `?q=${who}`)).json();
    expect(list.data).toHaveLength(1);
    expect(list.data[0].marketing_opt_out).toEqual({ at: new Date(ts * 1000).toISOString(), source: "keyword" });
    const got = await (await call(t, "GET", `/${list.data[0].id}`)).json();
    expect(got.consent_history).toEqual([{ kind: "opt_out", source: "keyword", actor: { type: "contact", id: who }, at: new Date(ts * 1000).toISOString(), details: { keyword: "STOP", wamid: `wamid.stop${ts}${who}` } }]);
    // The API then names the same row: no second contact for the number.
    expect((await call(t, "POST", "", { wa_id: `+${who}` })).status).toBe(409);
  });
});

describe("GET /v1/contacts", () => {
  it("filters by tag, q and opted_in, and pages newest first with a cursor without skipping or repeating", async () => {
    const t = await stack.tenant();
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await create(t, { wa_id: number(), name: i % 2 ? `Ravi ${i}` : `Meera ${i}`, tags: i < 3 ? ["vip"] : [], ...(i === 4 ? { marketing_opt_in: true } : {}) }));
    // Contacts inbound created share the list (and their created_at has sub-millisecond time).
    await stack.owner`insert into contacts (workspace_id, wa_id) select ${t.workspaceId}, '9170000000' || g from generate_series(10, 14) g`;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { id: string }[]; next_cursor: string | null } = await (await call(t, "GET", `?limit=3${cursor ? `&cursor=${cursor}` : ""}`)).json();
      seen.push(...page.data.map((c) => c.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(12);
    expect(new Set(seen).size).toBe(12);
    expect(seen.slice(-7).reverse().concat().length).toBe(7);
    const vip = await (await call(t, "GET", "?tag=vip")).json();
    expect(vip.data.map((c: { id: string }) => c.id).sort()).toEqual(made.slice(0, 3).map((c) => c.id).sort());
    const ravi = await (await call(t, "GET", "?q=ravi")).json();
    expect(ravi.data).toHaveLength(3);
    const optedIn = await (await call(t, "GET", "?opted_in=true")).json();
    expect(optedIn.data.map((c: { id: string }) => c.id)).toEqual([made[4].id]);
    expect((await call(t, "GET", "?opted_in=maybe")).status).toBe(422);
    expect((await call(t, "GET", "?cursor=nonsense")).status).toBe(422);
  });
});

describe("PATCH and DELETE /v1/contacts/{id}", () => {
  it("attributes merge (null removes a key), tags replace, the number stays", async () => {
    const t = await stack.tenant();
    const c = await create(t, { wa_id: number(), attributes: { city: "Pune", plan: "gold" }, tags: ["a"] });
    const res = await call(t, "PATCH", `/${c.id}`, { attributes: { plan: null, orders: 2 }, tags: ["b"], name: "Asha" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ attributes: { city: "Pune", orders: 2 }, tags: ["b"], name: "Asha", wa_id: c.wa_id });
    expect((await call(t, "PATCH", `/${c.id}`, { wa_id: "919999999999" })).status).toBe(422);
  });

  it("deleting a contact keeps its messages, unlinked", async () => {
    const t = await stack.tenant();
    const num = await connectTestNumber(stack, t.workspaceId);
    const c = await create(t, { wa_id: number() });
    await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, contact_id, direction, recipient, type, payload, status)
      values (${crypto.randomUUID()}, ${t.workspaceId}, ${num.id}, ${c.id}, 'inbound', ${c.wa_id}, 'text', '{}', 'received')`;
    expect((await call(t, "DELETE", `/${c.id}`)).status).toBe(204);
    expect((await call(t, "GET", `/${c.id}`)).status).toBe(404);
    const [m] = await stack.owner`select contact_id from messages where workspace_id = ${t.workspaceId}`;
    expect(m!.contact_id).toBeNull();
  });

  it("a workspace cannot see or act on another's contact: 404 for GET, PATCH and DELETE", async () => {
    const a = await stack.tenant("A");
    const b = await stack.tenant("B");
    const c = await create(a, { wa_id: number() });
    for (const [method, body] of [["GET"], ["PATCH", { name: "x" }], ["DELETE"]] as const) {
      const res = await call(b, method, `/${c.id}`, body);
      expect(res.status, method).toBe(404);
      expect((await res.json()).error.code).toBe("not_found");
    }
    expect((await (await call(b, "GET", "")).json()).data).toEqual([]);
    expect((await call(a, "GET", `/${c.id}`)).status).toBe(200);
  });

  it("every route needs the API key", async () => {
    for (const [method, path] of [["GET", ""], ["POST", ""], ["GET", `/${crypto.randomUUID()}`], ["GET", "/export"], ["POST", "/imports"]]) {
      const res = await stack.request(`/v1/contacts${path}`, { method: method! });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
  });
});
