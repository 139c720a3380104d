import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revokeApiKey } from "../lib/apikeys/manage.js";
import { AUTH_FAILURES_PER_MINUTE } from "../lib/apikeys/auth.js";
import { createTestStack, type TestStack } from "./support/stack.js";
import { connectTestNumber, setLimits } from "./support/senders.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
  // The look-up, counted: this suite's own database, so redefining it here touches nobody.
  await stack.owner.unsafe(`
    create table lookup_calls (n serial primary key);
    grant insert on lookup_calls to sandesh_app;
    grant usage on sequence lookup_calls_n_seq to sandesh_app;
    create or replace function sandesh_api_key_lookup(p_key_hash text)
    returns table (key_id uuid, workspace_id uuid, revoked boolean, settings jsonb, scopes jsonb)
    language plpgsql volatile security definer set search_path = public, pg_temp as $$
    begin
      insert into lookup_calls default values;
      return query select k.id, k.workspace_id, k.revoked_at is not null, w.settings, to_jsonb(k.scopes)
        from api_keys k join workspaces w on w.id = k.workspace_id where k.key_hash = p_key_hash;
    end $$;`);
});
afterAll(() => stack.close());

const B62 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const guess = () => `Bearer sk_${Array.from({ length: 43 }, () => B62[Math.floor(Math.random() * 62)]).join("")}`;
const from = (ip: string, path: string, authorization: string, init: RequestInit = {}) =>
  Promise.resolve(stack.app.fetch(new Request(`http://sandesh.test${path}`, { ...init, headers: { authorization, ...(init.headers as Record<string, string>) } }), { services: stack.services, ip }));
const lookups = async () => Number((await stack.owner`select count(*)::int as n from lookup_calls`)[0]!.n);

describe("the failure throttle slows unknown keys only", () => {
  it("after a flood of bad keys from one address, every tenant's valid key is still served from it, in and out of the identity cache", async () => {
    const a = await stack.tenant("A");
    const b = await stack.tenant("B");
    const shared = "198.51.100.10";
    expect((await from(shared, "/v1/workspace", `Bearer ${a.key}`)).status).toBe(200);
    expect((await from("192.0.2.55", "/v1/workspace", `Bearer ${b.key}`)).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE + 10; i++) statuses.push((await from(shared, "/v1/workspace", guess())).status);
    expect(statuses.at(-1)).toBe(429);
    expect((await from(shared, "/v1/workspace", `Bearer ${a.key}`)).status).toBe(200);
    // Identity caches expire (60 s) and every other process or isolate starts cold.
    stack.services.caches.apiKeys.clear();
    expect((await from(shared, "/v1/workspace", `Bearer ${a.key}`)).status).toBe(200);
    expect((await from(shared, "/v1/workspace", `Bearer ${b.key}`)).status).toBe(200);
    // The unknown keys from that address are still slowed.
    expect((await from(shared, "/v1/workspace", guess())).status).toBe(429);
  });

  it("a valid key looked up for the first time does not count toward its address's throttle", async () => {
    const ip = "198.51.100.11";
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE - 1; i++) expect((await from(ip, "/v1/workspace", guess())).status).toBe(401);
    for (let i = 0; i < 5; i++) {
      const t = await stack.tenant();
      expect((await from(ip, "/v1/workspace", `Bearer ${t.key}`)).status).toBe(200);
    }
    expect((await from(ip, "/v1/workspace", guess())).status).toBe(401);
    expect((await from(ip, "/v1/workspace", guess())).status).toBe(429);
  });

  it(`120 parallel unknown keys from one address reach the database at most ${AUTH_FAILURES_PER_MINUTE} times`, async () => {
    const before = await lookups();
    const res = await Promise.all(Array.from({ length: 120 }, () => from("198.51.100.12", "/v1/workspace", guess())));
    const counts = res.reduce<Record<number, number>>((m, r) => ((m[r.status] = (m[r.status] ?? 0) + 1), m), {});
    expect(counts).toEqual({ 401: AUTH_FAILURES_PER_MINUTE, 429: 120 - AUTH_FAILURES_PER_MINUTE });
    expect((await lookups()) - before).toBe(AUTH_FAILURES_PER_MINUTE);
    expect(Number(res.find((r) => r.status === 429)!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("a revoked key is answered from memory after its first refusal, and counts like an unknown key", async () => {
    const t = await stack.tenant();
    await revokeApiKey(stack.services, t.workspaceId, t.keyId, { actorType: "operator" });
    const before = await lookups();
    for (let i = 0; i < 5; i++) expect((await from("198.51.100.13", "/v1/workspace", `Bearer ${t.key}`)).status).toBe(401);
    expect((await lookups()) - before).toBe(1);
  });
});

describe("every request counts, and revocation comes first", () => {
  const body = (to: string, extra: Record<string, unknown> = {}) => JSON.stringify({ to, type: "text", text: { body: "hi" }, ...extra });
  const post = (key: string, payload: string) =>
    from("203.0.113.20", "/v1/messages", `Bearer ${key}`, { method: "POST", body: payload, headers: { "content-type": "application/json" } });

  it("sends refused before the gate (invalid, outside the window, unknown sender) count against the key's rate, and then cost no database work", async () => {
    const t = await stack.tenant();
    await connectTestNumber(stack, t.workspaceId);
    await setLimits(stack, t.workspaceId, { apiKey: { limit: 3, periodMs: 60_000 } });
    expect((await post(t.key, "{not json")).status).toBe(400);
    expect((await post(t.key, body("919800000001"))).status).toBe(422); // never wrote: outside the window
    expect((await post(t.key, body("919800000001", { from: "999" }))).status).toBe(422);
    const over = await post(t.key, body("919800000001"));
    expect(over.status).toBe(429);
    expect((await over.json()).error.code).toBe("rate_limited_api_key");
  });

  it("an accepted send is counted once", async () => {
    const t = await stack.tenant();
    const n = await connectTestNumber(stack, t.workspaceId);
    await stack.owner`insert into customer_windows (workspace_id, whatsapp_number_id, wa_id, last_inbound_at) values (${t.workspaceId}, ${n.id}, '919800000002', now())`;
    await setLimits(stack, t.workspaceId, { apiKey: { limit: 3, periodMs: 60_000 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(t.key, body("919800000002"))).status);
    // Without a queue the send answers 503 after the gate; what matters is where the 429 falls.
    expect(statuses.slice(0, 3).every((s) => s !== 429)).toBe(true);
    expect(statuses[3]).toBe(429);
  });

  it.each([
    ["outside the customer-service window", (to: string) => body(to)],
    ["from an unknown sender id", (to: string) => body(to, { from: "123456" })],
    ["that does not validate", () => JSON.stringify({ to: "1", type: "text" })],
  ])("a revoked key sending a message %s gets 401, never an answer about the workspace", async (_, payload) => {
    const t = await stack.tenant();
    await connectTestNumber(stack, t.workspaceId);
    // Warm: only the revocation check can refuse it now.
    expect((await from("203.0.113.21", "/v1/workspace", `Bearer ${t.key}`)).status).toBe(200);
    await revokeApiKey(stack.services, t.workspaceId, t.keyId, { actorType: "operator" });
    const res = await post(t.key, payload("919800000003"));
    expect(res.status).toBe(401);
    expect((await res.json()).error.message).toMatch(/revoked/);
  });
});
