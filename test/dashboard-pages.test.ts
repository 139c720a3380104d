import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEndpoint } from "../lib/webhooks/endpoints.js";
import { pageClient, signedInBrowser, visibleText, type Browser } from "./support/dashboard-kit.js";
import { seedContacts } from "./support/broadcast-kit.js";
import { connectTestNumber } from "./support/senders.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";
import { startMetaSandbox, type MetaSandbox } from "../dev/meta-sandbox/index.js";

// 01:30 on 2 June in Kolkata, 20:00 on 1 June in UTC: the workspace's "today" is its own.
const NOW = new Date("2030-06-01T20:00:00.000Z");
let stack: TestStack;
let meta: MetaSandbox;
beforeAll(async () => {
  meta = await startMetaSandbox({ appSecret: TEST_SECRETS.META_APP_SECRET, statusDelayMs: 5 });
  stack = await createTestStack({ META_GRAPH_URL: meta.url }, { clock: { now: () => NOW } });
});
afterAll(async () => {
  await stack?.close();
  await meta?.close();
});

type Tenant = Awaited<ReturnType<TestStack["tenant"]>> & { numberId: string; phoneNumberId: string; browser: Browser };

async function tenant(opts: { timezone?: string } = {}): Promise<Tenant> {
  const t = await stack.tenant("Dash");
  if (opts.timezone) await stack.owner`update workspaces set settings = ${stack.owner.json({ timezone: opts.timezone })} where id = ${t.workspaceId}`;
  const n = await connectTestNumber(stack, t.workspaceId, { tier: "TIER_10K", throughput: 120 });
  await stack.owner`update whatsapp_numbers set display_number = '919812345210' where id = ${n.id}`;
  return { ...t, numberId: n.id, phoneNumberId: n.phone_number_id, browser: await signedInBrowser(stack, { workspaceId: t.workspaceId }) };
}

async function message(t: Tenant, m: { status: string; to?: string; at: string; direction?: "outbound" | "inbound"; contactId?: string; broadcastId?: string }) {
  const id = crypto.randomUUID();
  await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, contact_id, broadcast_id, direction, recipient, type, payload, status, created_at, updated_at)
    values (${id}, ${t.workspaceId}, ${t.numberId}, ${m.contactId ?? null}, ${m.broadcastId ?? null}, ${m.direction ?? "outbound"}, ${m.to ?? "919800000001"}, 'text', ${stack.owner.json({ body: "hello" })}, ${m.status}, ${m.at}, ${m.at})`;
  return id;
}

const count = (html: string, status: string) => Number(new RegExp(`data-count="${status}">([\\d,]+)<`).exec(html)?.[1]?.replace(/,/g, "") ?? NaN);

describe("overview", () => {
  it("counts today's messages in the workspace's timezone and shows each number's tier, throughput and token state", async () => {
    const t = await tenant({ timezone: "Asia/Kolkata" });
    // Kolkata's 2 June began at 18:30 UTC on 1 June.
    for (const [status, at] of [
      ["sent", "2030-06-01T18:31:00Z"],
      ["delivered", "2030-06-01T19:00:00Z"],
      ["read", "2030-06-01T19:10:00Z"],
      ["read", "2030-06-01T19:20:00Z"],
      ["failed", "2030-06-01T19:30:00Z"],
      ["read", "2030-06-01T18:29:00Z"], // Kolkata's yesterday
      ["failed", "2030-06-01T10:00:00Z"], // Kolkata's yesterday
    ] as const)
      await message(t, { status, at });
    await message(t, { status: "received", at: "2030-06-01T19:40:00Z", direction: "inbound" });
    const page = await t.browser.get("/app");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.html.startsWith("<!doctype html>")).toBe(true);
    expect(visibleText(page.html)).toContain("Today, 2030-06-02 (Asia/Kolkata)");
    expect({ sent: count(page.html, "sent"), delivered: count(page.html, "delivered"), read: count(page.html, "read"), failed: count(page.html, "failed") }).toEqual({ sent: 4, delivered: 3, read: 2, failed: 1 });
    const text = visibleText(page.html);
    expect(text).toContain(`+91 98123 45210 ${t.phoneNumberId}`);
    expect(text).toContain("10,000 / day 120 msg/s active");
  });

  it("a workspace without a timezone counts the UTC day; a token Meta refused shows as needing a new one", async () => {
    const t = await tenant();
    await message(t, { status: "read", at: "2030-06-01T00:00:00Z" });
    await message(t, { status: "read", at: "2030-05-31T23:59:59Z" });
    await stack.owner`update whatsapp_numbers set token_status = 'needs_new_token' where id = ${t.numberId}`;
    const page = await t.browser.get("/app");
    expect(visibleText(page.html)).toContain("Today, 2030-06-01 (UTC)");
    expect(count(page.html, "read")).toBe(1);
    expect(visibleText(page.html)).toContain("needs a new token");
  });
});

describe("API keys", () => {
  it("a created key is on the creating answer only (not cached), listed by prefix after, and revoking it refuses it on /v1", async () => {
    const t = await tenant();
    const created = await t.browser.post("/app/keys", { name: "crm-sync" });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    const key = /sk_[A-Za-z0-9_-]+/.exec(visibleText(created.html))?.[0];
    expect(key).toBeDefined();
    expect((await stack.request("/v1/workspace", { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);

    const list = await t.browser.get("/app/keys");
    expect(list.html).not.toContain(key!);
    const [row] = await stack.owner<{ id: string; prefix: string }[]>`select id, prefix from api_keys where workspace_id = ${t.workspaceId} and name = 'crm-sync'`;
    expect(key!.startsWith(row!.prefix)).toBe(true);
    expect(visibleText(list.html)).toContain(`crm-sync ${row!.prefix}…`);

    const revoked = await t.browser.post(`/app/keys/${row!.id}/revoke`);
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get("location")).toBe("/app/keys");
    expect((await stack.request("/v1/workspace", { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    const after = await t.browser.get("/app/keys");
    expect(visibleText(after.html)).toContain("The API key is revoked");
    expect(visibleText(after.html)).toMatch(/crm-sync .*revoked 2030-06-01 20:00:00 UTC/);
    // The flash is said once.
    expect(visibleText((await t.browser.get("/app/keys")).html)).not.toContain("The API key is revoked");
    const [audit] = await stack.owner<{ actor_type: string; actor_id: string }[]>`select actor_type, actor_id from audit_log where object_id = ${row!.id} and action = 'api_key.revoked'`;
    expect(audit).toEqual({ actor_type: "user", actor_id: t.browser.who.userId });
  });

  it("a key without a name is refused on the form (422), and nothing is created", async () => {
    const t = await tenant();
    const page = await t.browser.post("/app/keys", { name: "  " });
    expect(page.status).toBe(422);
    expect(page.html).toContain('role="alert"');
    expect(visibleText(page.html)).toContain("name is required");
    const [{ n }] = (await stack.owner`select count(*)::int as n from api_keys where workspace_id = ${t.workspaceId}`) as unknown as [{ n: number }];
    expect(n).toBe(1); // the tenant's own
  });
});

describe("WhatsApp numbers", () => {
  it("connects a number; the token goes to the vault and appears on no page, not even after a refusal", async () => {
    const t = await tenant();
    const token = `EAAdashboardToken${crypto.randomUUID()}`;
    const pnid = String(Date.now()).slice(-12);
    const bad = await t.browser.post("/app/numbers", { phone_number_id: pnid, waba_id: "not-a-number", token });
    expect(bad.status).toBe(422);
    expect(bad.html).not.toContain(token);
    expect(bad.html).toContain(`value="${pnid}"`);
    expect(visibleText(bad.html)).toContain("waba_id must be Meta's numeric id");

    const ok = await t.browser.post("/app/numbers", { phone_number_id: pnid, waba_id: "102290129340398", token, display_number: "+1 415 555 0123" });
    expect(ok.status).toBe(303);
    const list = await t.browser.get("/app/numbers");
    expect(visibleText(list.html)).toContain(`+1 415 555 0123 ${pnid} 102290129340398`);
    expect(visibleText(list.html)).toContain("Its token is in the vault");
    expect(list.html).not.toContain(token);
    const [row] = await stack.owner<{ token_ciphertext: Buffer }[]>`select token_ciphertext from whatsapp_numbers where phone_number_id = ${pnid}`;
    expect(row!.token_ciphertext.toString("latin1")).not.toContain(token);
    expect(JSON.stringify(await stack.owner`select * from audit_log where workspace_id = ${t.workspaceId}`)).not.toContain(token);
    expect(stack.logs.join("\n")).not.toContain(token);

    const again = await t.browser.post("/app/numbers", { phone_number_id: pnid, waba_id: "102290129340398", token: `${token}-new` });
    expect(again.status).toBe(303);
    expect(visibleText((await t.browser.get("/app/numbers")).html)).toContain("The number's token is replaced");
  });
});

describe("webhooks", () => {
  it("creates an endpoint (the secret on that answer only) and shows an endpoint's recent attempts", async () => {
    const t = await tenant();
    const created = await t.browser.post("/app/webhooks", { url: "https://hooks.example.com/in", description: "CRM", events: ["message.read", "message.failed"] });
    expect(created.status).toBe(201);
    const secret = /whsec_[A-Za-z0-9+/=]+/.exec(created.html)?.[0];
    expect(secret).toBeDefined();
    const [e] = await stack.owner<{ id: string; events: string[] }[]>`select id, events from webhook_endpoints where workspace_id = ${t.workspaceId}`;
    expect(e!.events).toEqual(["message.read", "message.failed"]);
    const delivery = crypto.randomUUID();
    await stack.owner`insert into webhook_deliveries (id, workspace_id, endpoint_id, event_type, body, status, attempts) values (${delivery}, ${t.workspaceId}, ${e!.id}, 'message.read', '{}', 'retrying', 2)`;
    await stack.owner`insert into webhook_attempts (id, workspace_id, endpoint_id, delivery_id, attempt, attempted_at, status_code, duration_ms, response_body, error) values
      (${crypto.randomUUID()}, ${t.workspaceId}, ${e!.id}, ${delivery}, 1, '2030-06-01T19:00:00Z', 500, 31, 'upstream <b>down</b>', null),
      (${crypto.randomUUID()}, ${t.workspaceId}, ${e!.id}, ${delivery}, 2, '2030-06-01T19:01:00Z', null, 10000, null, 'timed out')`;
    const list = await t.browser.get("/app/webhooks");
    expect(list.html).not.toContain(secret!);
    expect(visibleText(list.html)).toContain("https://hooks.example.com/in CRM message.read, message.failed standard enabled");
    const detail = await t.browser.get(`/app/webhooks/${e!.id}`);
    expect(detail.status).toBe(200);
    const text = visibleText(detail.html);
    expect(text).toContain("2030-06-01 19:00:00 UTC message.read 1 500 31 ms upstream <b>down</b>");
    expect(text).toContain("2030-06-01 19:01:00 UTC message.read 2 no answer 10000 ms timed out");
    expect(detail.html).not.toContain("<b>down</b>");

    expect((await t.browser.post(`/app/webhooks/${e!.id}/disable`)).status).toBe(303);
    expect(visibleText((await t.browser.get(`/app/webhooks/${e!.id}`)).html)).toContain("The webhook endpoint is updated.");
    const rotated = await t.browser.post(`/app/webhooks/${e!.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get("cache-control")).toBe("no-store");
    expect(/whsec_[A-Za-z0-9+/=]+/.exec(rotated.html)?.[0]).not.toBe(secret);
    expect((await t.browser.post(`/app/webhooks/${e!.id}/delete`)).status).toBe(303);
    expect((await t.browser.get(`/app/webhooks/${e!.id}`)).status).toBe(404);
  });

  it("a URL the API would refuse is refused on the form, with what was typed kept", async () => {
    const t = await tenant();
    const page = await t.browser.post("/app/webhooks", { url: "ftp://hooks.example.com", description: "typed" });
    expect(page.status).toBe(422);
    expect(page.html).toContain('value="typed"');
    expect(page.html).toContain('aria-invalid="true"');
  });
});

describe("message tracker", () => {
  it("filters by status, recipient and day, pages by cursor, and shows a message's history", async () => {
    const t = await tenant({ timezone: "Asia/Kolkata" });
    const ids: string[] = [];
    for (let i = 0; i < 55; i++) ids.push(await message(t, { status: i % 5 === 0 ? "failed" : "read", to: i === 3 ? "919811112222" : "919800000001", at: new Date(Date.parse("2030-06-01T19:00:00Z") - i * 60_000).toISOString() }));
    const older = await message(t, { status: "read", at: "2030-05-30T10:00:00Z" });

    const first = await t.browser.get("/app/messages");
    expect((first.html.match(/href="\/app\/messages\/[0-9a-f-]{36}"/g) ?? []).length).toBe(50);
    expect(first.html).toContain(`/app/messages/${ids[0]}`);
    const next = /href="(\/app\/messages\?cursor=[^"]+)"/.exec(first.html)?.[1];
    expect(next).toBeDefined();
    const second = await t.browser.get(next!.replace(/&amp;/g, "&"));
    expect((second.html.match(/href="\/app\/messages\/[0-9a-f-]{36}"/g) ?? []).length).toBe(6);
    expect(second.html).toContain(`/app/messages/${older}`);

    const failed = await t.browser.get("/app/messages?status=failed");
    expect((failed.html.match(/href="\/app\/messages\/[0-9a-f-]{36}"/g) ?? []).length).toBe(11);
    const to = await t.browser.get("/app/messages?to=%2B91+98111+12222");
    expect((to.html.match(/href="\/app\/messages\/[0-9a-f-]{36}"/g) ?? []).length).toBe(1);
    expect(visibleText(to.html)).toContain("+91 98111 12222");
    // 2 June in Kolkata holds the 55; 30 May the older one.
    const day = await t.browser.get("/app/messages?date=2030-05-30");
    expect((day.html.match(/href="\/app\/messages\/[0-9a-f-]{36}"/g) ?? []).length).toBe(1);
    const badDay = await t.browser.get("/app/messages?date=yesterday");
    expect(badDay.status).toBe(422);
    expect(visibleText(badDay.html)).toContain("must be a date");

    const newest = ids[0]!;
    await stack.owner`insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key) values
      (${t.workspaceId}, ${newest}, 'sent', '2030-06-01T19:00:01Z', ${`d1${newest}`}), (${t.workspaceId}, ${newest}, 'delivered', '2030-06-01T19:00:02Z', ${`d2${newest}`})`;
    const history = await t.browser.get(`/app/messages/${newest}`);
    expect(history.status).toBe(200);
    expect(visibleText(history.html)).toMatch(/2030-06-01 19:00:00 UTC queued 2030-06-01 19:00:01 UTC sent 2030-06-01 19:00:02 UTC delivered/);
  });
});

describe("a message's two sides", () => {
  it("the business's number shows as its display number, whole for every role; the contact's is masked for an agent", async () => {
    const t = await tenant();
    const out = await message(t, { status: "read", to: "919800000001", at: "2030-06-01T18:00:00Z" });
    const inbound = await message(t, { status: "received", to: "919811112222", at: "2030-06-01T18:01:00Z", direction: "inbound" });
    const agent = await signedInBrowser(stack, { workspaceId: t.workspaceId, role: "agent" });
    const list = visibleText((await agent.get("/app/messages")).html);
    expect(list).toContain("inbound +91 98123 45210 +91 98••• ••222 text received");
    expect(list).toContain("outbound +91 98••• ••001 +91 98123 45210 text read");
    expect(list).not.toContain(t.phoneNumberId);
    expect(visibleText((await agent.get(`/app/messages/${out}`)).html)).toContain("To +91 98••• ••001 From +91 98123 45210");
    expect(visibleText((await agent.get(`/app/messages/${inbound}`)).html)).toContain("To +91 98123 45210 From +91 98••• ••222");
    expect(visibleText((await t.browser.get(`/app/messages/${out}`)).html)).toContain("To +91 98000 00001 From +91 98123 45210");
    // A number without a display number is named by its phone-number id.
    await stack.owner`update whatsapp_numbers set display_number = null where id = ${t.numberId}`;
    expect(visibleText((await agent.get(`/app/messages/${out}`)).html)).toContain(`From ${t.phoneNumberId}`);
  });
});

describe("contacts, templates, broadcasts", () => {
  it("lists and shows a contact, escaping what the contact's name carries", async () => {
    const t = await tenant();
    const [wa] = await seedContacts(stack.owner, t.workspaceId, 1, { name: `<script>alert("x")</script>`, tag: "vip" });
    const list = await t.browser.get("/app/contacts");
    expect(list.status).toBe(200);
    expect(list.html).not.toContain("<script>alert");
    expect(list.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    const [k] = await stack.owner<{ id: string }[]>`select id from contacts where workspace_id = ${t.workspaceId}`;
    expect(visibleText(list.html)).toContain(`+91 ${wa!.slice(2, 7)} ${wa!.slice(7)} vip opted in`);
    const detail = await t.browser.get(`/app/contacts/${k!.id}`);
    expect(detail.status).toBe(200);
    expect(detail.html).not.toContain("<script>alert");
    expect(visibleText(detail.html)).toContain("city Pune");
    const searched = await t.browser.get(`/app/contacts?q=${wa!.slice(0, 8)}`);
    expect(searched.html).toContain(`/app/contacts/${k!.id}`);
    const none = await t.browser.get("/app/contacts?tag=nobody");
    expect(none.html).not.toContain(`/app/contacts/${k!.id}`);
  });

  it("syncs the templates from Meta with one button", async () => {
    const t = await stack.tenant("Sync");
    const wabaId = String(Date.now()).slice(-10);
    const token = `EAADashSync${crypto.randomUUID().replace(/-/g, "")}`;
    const n = await connectTestNumber(stack, t.workspaceId, { token, wabaId });
    meta.registerNumber(n.phone_number_id, token, { wabaId });
    meta.templates.seed(wabaId, { name: "welcome_note", category: "UTILITY", components: [{ type: "BODY", text: "Welcome" }], quality_score: { score: "GREEN" } });
    const browser = await signedInBrowser(stack, { workspaceId: t.workspaceId });
    expect((await browser.get("/app/templates")).html).toContain('action="/app/templates/sync"');
    const synced = await browser.post("/app/templates/sync");
    expect(synced.status).toBe(303);
    const list = visibleText((await browser.get("/app/templates")).html);
    expect(list).toContain("The templates are synced from Meta.");
    expect(list).toContain(`welcome_note en_US UTILITY APPROVED GREEN ${wabaId}`);
  });

  it("lists templates and shows one's components", async () => {
    const t = await tenant();
    const [tpl] = await stack.owner<{ id: string }[]>`insert into message_templates (workspace_id, waba_id, name, language, category, status, components)
      values (${t.workspaceId}, '102290129340398', 'order_update', 'en_US', 'UTILITY', 'APPROVED', ${stack.owner.json([{ type: "BODY", text: "Order <b>shipped</b>" }])}) returning id`;
    const list = await t.browser.get("/app/templates");
    expect(visibleText(list.html)).toContain("order_update en_US UTILITY APPROVED");
    const detail = await t.browser.get(`/app/templates/${tpl!.id}`);
    expect(detail.status).toBe(200);
    expect(detail.html).toContain("Order &lt;b&gt;shipped&lt;/b&gt;");
  });

  it("creates a broadcast from the form and shows its live counts", async () => {
    const t = await tenant({ timezone: "Asia/Kolkata" });
    await seedContacts(stack.owner, t.workspaceId, 3, { tag: "june" });
    await stack.owner`insert into message_templates (workspace_id, waba_id, name, language, category, status) values (${t.workspaceId}, '102290129340398', 'june_sale', 'en_US', 'MARKETING', 'APPROVED')`;
    const form = await t.browser.get("/app/broadcasts");
    expect(form.html).toContain('value="june_sale|en_US"');
    const refused = await t.browser.post("/app/broadcasts", { name: "", template: "june_sale|en_US", audience: "tag", tag: "june" });
    expect(refused.status).toBe(422);
    const created = await t.browser.post("/app/broadcasts", { name: "June sale", template: "june_sale|en_US", audience: "tag", tag: "june", send_at: "2030-06-03T09:00" });
    expect(created.status).toBe(303);
    const location = created.headers.get("location")!;
    const id = /\/app\/broadcasts\/([0-9a-f-]{36})$/.exec(location)![1]!;
    const [b] = await stack.owner<{ send_at: Date; status: string }[]>`select send_at, status from broadcasts where id = ${id}`;
    expect(b).toEqual({ send_at: new Date("2030-06-03T03:30:00Z"), status: "scheduled" });

    const contacts = await stack.owner<{ id: string; wa_id: string }[]>`select id, wa_id from contacts where workspace_id = ${t.workspaceId}`;
    for (const [i, status] of ["read", "delivered", "failed"].entries()) await message(t, { status, to: contacts[i]!.wa_id, contactId: contacts[i]!.id, broadcastId: id, at: "2030-06-01T19:00:00Z" });
    const detail = await t.browser.get(location);
    expect(detail.status).toBe(200);
    const text = visibleText(detail.html);
    expect(text).toContain("Broadcast June sale");
    expect(text).toContain("2 Sent 2 Delivered 1 Read 1 Failed");
    expect(text).toContain("2030-06-03 03:30:00 UTC");

    expect((await t.browser.post(`/app/broadcasts/${id}/pause`)).status).toBe(303);
    expect(visibleText((await t.browser.get(location)).html)).toContain("The broadcast is paused.");
    expect(visibleText((await t.browser.get("/app/broadcasts")).html)).toContain("June sale june_sale (en_US) paused");
  });
});

describe("isolation", () => {
  it("another workspace's message, contact, endpoint, template, broadcast and key are not found", async () => {
    const a = await tenant();
    const b = await tenant();
    const messageId = await message(b, { status: "read", at: "2030-06-01T19:00:00Z" });
    await seedContacts(stack.owner, b.workspaceId, 1);
    const [contact] = await stack.owner<{ id: string }[]>`select id from contacts where workspace_id = ${b.workspaceId}`;
    const endpoint = await createEndpoint(stack.services, b.workspaceId, { url: "https://hooks.example.com/b", events: null, description: null, format: "standard" }, { actorType: "operator" });
    const [tpl] = await stack.owner<{ id: string }[]>`insert into message_templates (workspace_id, waba_id, name, language, status) values (${b.workspaceId}, '1', 'b_only', 'en', 'APPROVED') returning id`;
    const [bc] = await stack.owner<{ id: string }[]>`insert into broadcasts (id, workspace_id, whatsapp_number_id, name, template, category, audience, send_at)
      values (${crypto.randomUUID()}, ${b.workspaceId}, ${b.numberId}, 'B', ${stack.owner.json({ name: "x", language: { code: "en" } })}, 'MARKETING', ${stack.owner.json({ all: true })}, now()) returning id`;
    for (const path of [`/app/messages/${messageId}`, `/app/contacts/${contact!.id}`, `/app/webhooks/${endpoint.id}`, `/app/templates/${tpl!.id}`, `/app/broadcasts/${bc!.id}`, "/app/messages/not-an-id"]) {
      const page = await a.browser.get(path);
      expect(page.status, path).toBe(404);
      expect(page.html).toContain("Not found");
    }
    for (const path of [`/app/keys/${b.keyId}/revoke`, `/app/webhooks/${endpoint.id}/delete`, `/app/broadcasts/${bc!.id}/cancel`, `/app/webhooks/${endpoint.id}/rotate-secret`]) {
      expect((await a.browser.post(path)).status, path).toBe(404);
    }
    expect((await stack.request("/v1/workspace", { headers: { authorization: `Bearer ${b.key}` } })).status).toBe(200);
    // b's rows are b's on b's own pages.
    expect((await b.browser.get(`/app/messages/${messageId}`)).status).toBe(200);
    expect(visibleText((await a.browser.get("/app/webhooks")).html)).not.toContain("hooks.example.com/b");
  });
});

describe("sign-in and assets", () => {
  it("the sign-in page needs no session: a passkey button and a Google link", async () => {
    const page = await pageClient(stack).get("/app/sign-in");
    expect(page.status).toBe(200);
    expect(page.html).toContain('id="passkey-sign-in"');
    expect(page.html).toContain('href="/app/auth/google/start"');
    const anon = await pageClient(stack).get("/app/sign-in?error=%3Cscript%3E");
    expect(anon.html).not.toContain("<script>");
  });

  it("serves the stylesheet; no page carries an inline style or script", async () => {
    const css = await stack.request("/app/assets/dashboard.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    const t = await tenant();
    for (const path of ["/app", "/app/keys", "/app/numbers", "/app/webhooks", "/app/messages", "/app/contacts", "/app/templates", "/app/broadcasts", "/app/members", "/app/sessions", "/app/security"]) {
      const page = await t.browser.get(path);
      expect(page.status, path).toBe(200);
      expect(page.html, path).not.toMatch(/<style|style=|<script(?![^>]*\ssrc=)/);
      // Every input has a label tied to it.
      for (const [, id] of page.html.matchAll(/<(?:input|select)(?![^>]*type="(?:hidden|checkbox|radio)")[^>]*\sid="([^"]+)"/g)) expect(page.html, `${path} ${id}`).toContain(`for="${id}"`);
      // Every form that changes something carries the session's CSRF token.
      for (const form of page.html.match(/<form method="post"[\s\S]*?<\/form>/g) ?? []) expect(form).toContain(`name="csrf" value="${t.browser.who.csrf}"`);
    }
  });
});
