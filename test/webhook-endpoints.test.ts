import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "../db/tenant.js";
import { webhookEndpointSecrets } from "../db/schema/index.js";
import { deliverWebhook } from "../lib/webhooks/deliver.js";
import { EVENT_TYPES, recordEvents, type OutgoingEvent } from "../lib/webhooks/emit.js";
import { openSecrets } from "../lib/webhooks/endpoints.js";
import { rotateVault } from "../lib/vault/rotate.js";
import { Vault } from "../lib/vault/vault.js";
import { WEBHOOK_RETRIES } from "../lib/queue/port.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";
import { startReceiver, type Receiver } from "./support/webhook-receiver.js";

let stack: TestStack;
let prod: TestStack;
let receiver: Receiver;
beforeAll(async () => {
  stack = await createTestStack();
  prod = await createTestStack({ SANDESH_ENV: "production", PUBLIC_URL: "https://sandesh.example.com", TRUST_PROXY: "none" });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await stack?.close();
  await prod?.close();
});

type Tenant = Awaited<ReturnType<TestStack["tenant"]>>;
const call = (s: TestStack, t: Tenant, method: string, path: string, body?: unknown) =>
  s.request(`/v1/webhook-endpoints${path}`, {
    method,
    headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json", "user-agent": "crm-sync/2.1" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
const create = async (s: TestStack, t: Tenant, body: Record<string, unknown> = { url: "https://hooks.example.com/sandesh" }) => {
  const res = await call(s, t, "POST", "", body);
  expect(res.status).toBe(201);
  return res.json();
};
const auditOf = (workspaceId: string) =>
  stack.owner<{ action: string; actor_type: string; actor_id: string; ip: string; user_agent: string; details: Record<string, unknown> }[]>`
    select action, actor_type, actor_id, ip, user_agent, details from audit_log where workspace_id = ${workspaceId} and object_type = 'webhook_endpoint' order by id`;
const event = (type: OutgoingEvent["type"]): OutgoingEvent => ({ type, timestamp: new Date(), data: { id: crypto.randomUUID() } });
const record = (s: TestStack, workspaceId: string, events: OutgoingEvent[]) => withTenant(s.services.db, workspaceId, (tx) => recordEvents(s.services, tx, workspaceId, events));

describe("POST /v1/webhook-endpoints", () => {
  it("answers 201 with the endpoint and a whsec_ secret of 32 random bytes, shown only this once", async () => {
    const t = await stack.tenant();
    const created = await create(stack, t, { url: "https://Hooks.Example.com/sandesh?src=wa", events: ["message.sent", "message.read"], description: "CRM" });
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      url: "https://hooks.example.com/sandesh?src=wa",
      description: "CRM",
      events: ["message.sent", "message.read"],
      format: "standard",
      enabled: true,
      disabled_reason: null,
      failing_since: null,
      masks_phones: false, // made by a full-access key: numbers whole
      created_at: expect.any(String),
      updated_at: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    expect(Buffer.from(created.secret.slice(6), "base64")).toHaveLength(32);
    const secretBody = created.secret.slice(6);

    const one = await (await call(stack, t, "GET", `/${created.id}`)).text();
    const list = await (await call(stack, t, "GET", "")).text();
    for (const text of [one, list]) {
      expect(text).not.toContain(secretBody);
      expect(text).not.toContain('"secret"');
    }
    const { secret: _secret, ...view } = created;
    expect(JSON.parse(one)).toEqual(view);
    expect(JSON.parse(list).data).toEqual([view]);

    // At rest: sealed, nothing in any column resembles the secret.
    const [row] = await stack.owner`select to_jsonb(s)::text as row, encode(secret_ciphertext, 'escape') as ct, secret_key_version from webhook_endpoint_secrets s where endpoint_id = ${created.id}`;
    expect(row!.row).not.toContain(secretBody);
    expect(row!.ct).not.toContain(secretBody);
    expect(row!.secret_key_version).toBe(1);

    const audit = await auditOf(t.workspaceId);
    expect(audit).toEqual([
      expect.objectContaining({ action: "webhook_endpoint.created", actor_type: "api_key", actor_id: t.keyId, ip: "203.0.113.7", user_agent: "crm-sync/2.1" }),
    ]);
    expect(JSON.stringify(audit)).not.toContain(secretBody);
  });

  it("events omitted means every event type, present and future (stored as null)", async () => {
    const t = await stack.tenant();
    const created = await create(stack, t);
    expect(created.events).toBeNull();
    expect(await record(stack, t.workspaceId, EVENT_TYPES.map(event))).toBe(EVENT_TYPES.length);
  });

  it.each([
    [{}, "url", /required/],
    [{ url: 42 }, "url", /URL/],
    [{ url: "not a url" }, "url", /absolute URL/],
    [{ url: "ftp://files.example.com/in" }, "url", /https/],
    [{ url: "http://hooks.example.com/in" }, "url", /https/],
    [{ url: "https://user:pass@hooks.example.com/in" }, "url", /user name or password/],
    [{ url: `https://hooks.example.com/${"a".repeat(2100)}` }, "url", /2048/],
    [{ url: "https://hooks.example.com", events: ["message.sent", "message.bounced"] }, "events.1", /message\.sent, message\.delivered/],
    [{ url: "https://hooks.example.com", events: [] }, "events", /at least one/],
    [{ url: "https://hooks.example.com", events: ["message.read", "message.read"] }, "events", /repeat/],
    [{ url: "https://hooks.example.com", events: "message.read" }, "events", /./],
    [{ url: "https://hooks.example.com", description: "d".repeat(501) }, "description", /500/],
    [{ url: "https://hooks.example.com", secret: "whsec_mine" }, "secret", /not a known field/],
  ])("refuses %j with 422 naming %s", async (body, field, message) => {
    const t = await stack.tenant();
    const res = await call(stack, t, "POST", "", body);
    expect(res.status).toBe(422);
    const err = (await res.json()).error;
    expect(err.code).toBe("validation_failed");
    expect(err.details).toEqual(expect.arrayContaining([{ field, message: expect.stringMatching(message) }]));
    expect((await stack.owner`select count(*)::int as n from webhook_endpoints where workspace_id = ${t.workspaceId}`)[0]!.n).toBe(0);
  });

  it("refuses a body that is not JSON with 400 invalid_json", async () => {
    const t = await stack.tenant();
    const res = await call(stack, t, "POST", "", "{url:");
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("invalid_json");
  });

  it("allows plain http to loopback addresses outside production, and nowhere else", async () => {
    const t = await stack.tenant();
    for (const url of ["http://127.0.0.1:8080/hook", "http://127.9.9.9/hook", "http://localhost:3000/hook", "http://[::1]:4000/hook", "https://10.1.2.3/hook"]) {
      expect((await call(stack, t, "POST", "", { url })).status, url).toBe(201);
    }
    expect((await call(stack, t, "POST", "", { url: "http://10.1.2.3/hook" })).status).toBe(422);
  });

  it("needs an API key", async () => {
    const res = await stack.request("/v1/webhook-endpoints", { method: "POST", body: JSON.stringify({ url: "https://hooks.example.com" }) });
    expect(res.status).toBe(401);
  });
});

describe("GET, PATCH, DELETE, rotate-secret", () => {
  it("lists newest first, page by page, with an opaque cursor", async () => {
    const t = await stack.tenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create(stack, t, { url: `https://hooks.example.com/${i}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(stack, t, "GET", `?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const page: { data: { id: string }[]; next_cursor: string | null } = await res.json();
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await call(stack, t, "GET", "?limit=0")).status).toBe(422);
    expect((await call(stack, t, "GET", "?limit=101")).status).toBe(422);
    expect((await call(stack, t, "GET", "?cursor=abc")).status).toBe(422);
  });

  it("PATCH changes url, events, description and enabled, each recorded in the audit log", async () => {
    const t = await stack.tenant();
    const e = await create(stack, t);
    const res = await call(stack, t, "PATCH", `/${e.id}`, { url: "https://other.example.com/in", events: ["contact.opted_out"], description: "Ops" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: e.id, url: "https://other.example.com/in", events: ["contact.opted_out"], description: "Ops", enabled: true });

    const off = await (await call(stack, t, "PATCH", `/${e.id}`, { enabled: false })).json();
    expect(off).toMatchObject({ enabled: false, disabled_reason: "Disabled through the API" });
    const on = await (await call(stack, t, "PATCH", `/${e.id}`, { enabled: true, events: null, description: null })).json();
    expect(on).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null, events: null, description: null });

    const audit = await auditOf(t.workspaceId);
    expect(audit.map((a) => a.action)).toEqual(["webhook_endpoint.created", "webhook_endpoint.updated", "webhook_endpoint.updated", "webhook_endpoint.updated"]);
    expect(audit[1]!.details).toEqual({ changes: { url: "https://other.example.com/in", events: ["contact.opted_out"], description: "Ops" } });
  });

  it.each([
    [{}, "body", /at least one/],
    [{ enabled: "yes" }, "enabled", /true or false/],
    [{ url: "https://hooks.example.com", id: "x" }, "id", /not a known field/],
    [{ events: ["message.sent", "nope"] }, "events.1", /list of/],
    [{ url: "http://hooks.example.com" }, "url", /https/],
  ])("PATCH refuses %j with 422 naming %s, and changes nothing", async (body, field, message) => {
    const t = await stack.tenant();
    const e = await create(stack, t);
    const res = await call(stack, t, "PATCH", `/${e.id}`, body);
    expect(res.status).toBe(422);
    expect((await res.json()).error.details).toEqual(expect.arrayContaining([{ field, message: expect.stringMatching(message) }]));
    const { secret: _s, ...view } = e;
    expect(await (await call(stack, t, "GET", `/${e.id}`)).json()).toEqual(view);
  });

  it("DELETE answers 204; the endpoint, its secrets and its deliveries are gone", async () => {
    const t = await stack.tenant();
    const e = await create(stack, t);
    expect(await record(stack, t.workspaceId, [event("message.sent")])).toBe(1);
    const res = await call(stack, t, "DELETE", `/${e.id}`);
    expect(res.status).toBe(204);
    expect((await call(stack, t, "GET", `/${e.id}`)).status).toBe(404);
    expect((await call(stack, t, "DELETE", `/${e.id}`)).status).toBe(404);
    const [left] = await stack.owner`select (select count(*)::int from webhook_endpoint_secrets where endpoint_id = ${e.id}) as secrets,
      (select count(*)::int from webhook_deliveries where endpoint_id = ${e.id}) as deliveries`;
    expect(left).toEqual({ secrets: 0, deliveries: 0 });
    expect((await auditOf(t.workspaceId)).map((a) => a.action)).toEqual(["webhook_endpoint.created", "webhook_endpoint.deleted"]);
  });

  it("rotate-secret shows a new secret once; the previous one keeps signing for 24 hours, the one before is retired", async () => {
    const t = await stack.tenant();
    const e = await create(stack, t);
    const before = Date.now();
    const res = await call(stack, t, "POST", `/${e.id}/rotate-secret`);
    expect(res.status).toBe(200);
    const r1 = await res.json();
    expect(r1.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(r1.secret).not.toBe(e.secret);
    const expires = Date.parse(r1.previous_secret_expires_at);
    expect(expires - before).toBeGreaterThanOrEqual(24 * 3600_000 - 1000);
    expect(expires - before).toBeLessThanOrEqual(24 * 3600_000 + 5000);

    const signing = async () => {
      const rows = await withTenant(stack.services.db, t.workspaceId, (tx) => tx.select().from(webhookEndpointSecrets));
      return openSecrets(stack.services, rows);
    };
    expect(await signing()).toEqual([r1.secret, e.secret]);
    const r2 = await (await call(stack, t, "POST", `/${e.id}/rotate-secret`)).json();
    expect(await signing()).toEqual([r2.secret, r1.secret]);

    expect((await auditOf(t.workspaceId)).map((a) => a.action)).toEqual(["webhook_endpoint.created", "webhook_endpoint.secret_rotated", "webhook_endpoint.secret_rotated"]);
    expect((await (await call(stack, t, "GET", `/${e.id}`)).text())).not.toContain(r2.secret.slice(6));
  });

  it("another workspace's endpoint is a 404 for every route, and stays untouched", async () => {
    const a = await stack.tenant("A");
    const b = await stack.tenant("B");
    const e = await create(stack, a);
    const { secret: _s, ...view } = e;
    for (const [method, path, body] of [
      ["GET", `/${e.id}`],
      ["PATCH", `/${e.id}`, { enabled: false }],
      ["DELETE", `/${e.id}`],
      ["POST", `/${e.id}/rotate-secret`],
      ["GET", `/${e.id}/attempts`],
      ["GET", "/not-a-uuid"],
      ["GET", "/not-a-uuid/attempts"],
    ] as const) {
      const res = await call(stack, b, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await res.json()).error.code).toBe("not_found");
    }
    expect((await (await call(stack, b, "GET", "")).json()).data).toEqual([]);
    expect(await (await call(stack, a, "GET", `/${e.id}`)).json()).toEqual(view);
    expect((await auditOf(a.workspaceId)).map((x) => x.action)).toEqual(["webhook_endpoint.created"]);
  });
});

describe("which endpoints get an event", () => {
  it("only subscribed, enabled endpoints; a change in this process takes effect at once", async () => {
    const t = await stack.tenant();
    const e = await create(stack, t, { url: "https://hooks.example.com/a", events: ["message.sent"] });
    expect(await record(stack, t.workspaceId, [event("message.read")])).toBe(0);
    expect(await record(stack, t.workspaceId, [event("message.sent"), event("message.read")])).toBe(1);
    await call(stack, t, "PATCH", `/${e.id}`, { events: ["message.sent", "message.read"] });
    expect(await record(stack, t.workspaceId, [event("message.sent"), event("message.read")])).toBe(2);
    await call(stack, t, "PATCH", `/${e.id}`, { enabled: false });
    expect(await record(stack, t.workspaceId, [event("message.sent")])).toBe(0);
    await call(stack, t, "PATCH", `/${e.id}`, { enabled: true });
    await create(stack, t, { url: "https://hooks.example.com/b" });
    expect(await record(stack, t.workspaceId, [event("message.sent")])).toBe(2);
  });

  it("an endpoint removed by another process while this one still caches it records nothing, and fails nothing", async () => {
    const t = await stack.tenant();
    const e = await create(stack, t);
    expect(await record(stack, t.workspaceId, [event("message.sent")])).toBe(1); // cached now
    await stack.owner`delete from webhook_endpoints where id = ${e.id}`; // another process: no invalidation here
    expect(await record(stack, t.workspaceId, [event("message.sent")])).toBe(0);
  });

  it("a workspace without endpoints records nothing", async () => {
    const t = await stack.tenant();
    expect(await record(stack, t.workspaceId, [event("message.sent"), event("message.received")])).toBe(0);
    expect((await stack.owner`select count(*)::int as n from webhook_deliveries where workspace_id = ${t.workspaceId}`)[0]!.n).toBe(0);
  });
});

describe("the vault covers webhook secrets", () => {
  it("`vault rotate` re-seals them under the new key version, still the same secret", async () => {
    const t = await stack.tenant();
    const e = await create(stack, t);
    const next = { ...stack.services, vault: new Vault({ currentVersion: 2, keks: { 1: TEST_SECRETS.MASTER_KEK, 2: "second-master-kek-fedcba9876543210fedcba9876543210" } }) };
    await rotateVault(next, [t.workspaceId]);
    const rows = await withTenant(stack.services.db, t.workspaceId, (tx) => tx.select().from(webhookEndpointSecrets));
    expect(rows.map((r) => r.secretKeyVersion)).toEqual([2]);
    expect(await openSecrets(next, rows)).toEqual([e.secret]);
    await expect(openSecrets(stack.services, rows)).rejects.toThrow(/MASTER_KEK_V2/);
  });

  it("a sealed secret copied to another endpoint does not open", async () => {
    const t = await stack.tenant();
    const a = await create(stack, t);
    const b = await create(stack, t);
    await stack.owner`update webhook_endpoint_secrets set (secret_ciphertext, secret_iv, secret_tag) =
      (select secret_ciphertext, secret_iv, secret_tag from webhook_endpoint_secrets where endpoint_id = ${a.id}) where endpoint_id = ${b.id}`;
    const rows = await withTenant(stack.services.db, t.workspaceId, (tx) => tx.select().from(webhookEndpointSecrets));
    const copied = rows.filter((r) => r.endpointId === b.id);
    await expect(openSecrets(stack.services, copied)).rejects.toMatchObject({ code: "vault_decrypt_failed" });
  });
});

describe("SSRF: in production, endpoints must point at the public internet", () => {
  it.each([
    "http://hooks.example.com/in",
    "http://127.0.0.1/in",
    "https://127.0.0.1/in",
    "https://127.1.2.3/in",
    "https://0x7f.1/in",
    "https://2130706433/in",
    "https://localhost/in",
    "https://api.localhost/in",
    "https://0.0.0.0/in",
    "https://10.0.0.5/in",
    "https://172.16.3.4/in",
    "https://172.31.255.255/in",
    "https://192.168.1.1/in",
    "https://100.64.0.1/in",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/in",
    "https://[::]/in",
    "https://[fc00::1]/in",
    "https://[fd12:3456:789a::1]/in",
    "https://[fe80::1]/in",
    "https://[::ffff:127.0.0.1]/in",
    "https://[::ffff:169.254.169.254]/in",
    "https://[64:ff9b::10.0.0.1]/in",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://metadata/in",
    "https://intranet/in",
    "https://printer.local/in",
    // trailing and doubled dots: a resolver reads "localhost.." as localhost
    "https://example.com./in",
    "https://example.com../in",
    "https://localhost../in",
    "https://metadata.google.internal../in",
    // IPv6 ranges that are not the public internet, or tunnel to an IPv4 address of any kind
    "https://[::ffff:8.8.8.8]/in",
    "https://[::ffff:0:8.8.8.8]/in",
    "https://[64:ff9b:1::a00:1]/in",
    "https://[2002:a00:1::1]/in",
    "https://[2002:808:808::1]/in",
    "https://[100::1]/in",
    "https://[2001:db8::1]/in",
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/in",
    "https://192.0.2.1/in",
  ])("refuses %s", async (url) => {
    const t = await prod.tenant();
    const res = await call(prod, t, "POST", "", { url });
    expect(res.status).toBe(422);
    const err = (await res.json()).error;
    expect(err.details).toEqual([{ field: "url", message: expect.stringMatching(/https|public internet/) }]);
  });

  it.each(["https://hooks.example.com/in", "https://8.8.8.8/in", "https://172.32.0.1/in", "https://[2606:4700:4700::1111]/in", "https://hooks.example.com:8443/in", "https://[64:ff9b::8.8.8.8]/in"])("accepts %s", async (url) => {
    const t = await prod.tenant();
    expect((await call(prod, t, "POST", "", { url })).status).toBe(201);
  });

  it("PATCH to a private address is refused the same way", async () => {
    const t = await prod.tenant();
    const e = await create(prod, t);
    const res = await call(prod, t, "PATCH", `/${e.id}`, { url: "https://192.168.0.10/in" });
    expect(res.status).toBe(422);
  });

  it("an endpoint that points inside anyway (a row written around the API) is refused again at delivery: nothing is sent", async () => {
    const t = await prod.tenant();
    const e = await create(prod, t);
    await prod.owner`update webhook_endpoints set url = ${`${receiver.url}/inside`} where id = ${e.id}`;
    prod.services.caches.webhookEndpoints.clear();
    await record(prod, t.workspaceId, [event("message.sent")]);
    const [d] = await prod.owner`select id from webhook_deliveries where endpoint_id = ${e.id}`;
    const outcome = await deliverWebhook(prod.services, { deliveryId: d!.id, workspaceId: t.workspaceId }, { retried: 0, maxRetries: WEBHOOK_RETRIES });
    expect(outcome).toEqual({ kind: "failed", reason: "URL refused: must be an https URL" });
    expect(receiver.on("/inside")).toHaveLength(0);
    const attempts = await (await call(prod, t, "GET", `/${e.id}/attempts`)).json();
    expect(attempts.data).toEqual([expect.objectContaining({ status_code: null, succeeded: false, error: expect.stringMatching(/URL refused/) })]);
  });
});
