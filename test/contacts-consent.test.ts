import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runImport } from "../lib/contacts/import-run.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// Consent changes made through the API or an import are announced to the workspace's
// webhook endpoints as keyword ones are, and consent evidence outlives the contact.
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

async function tenant() {
  const t = await stack.tenant();
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await stack.request(path, { method, headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, json: res.status === 204 ? null : await res.json() };
  };
  const hook = await call("POST", "/v1/webhook-endpoints", { url: "https://hooks.example.com/consent", events: ["contact.opted_in", "contact.opted_out"] });
  expect(hook.status).toBe(201);
  return { ...t, call };
}
const events = (workspaceId: string) =>
  stack.owner<{ event_type: string; body: { type: string; data: Record<string, unknown> } }[]>`
    select event_type, body::jsonb as body from webhook_deliveries where workspace_id = ${workspaceId} order by id`;

describe("consent changes by API and import are webhook events", () => {
  it("POST and PATCH: each change that changes something is one contact.opted_* event naming its source; a repeat is none", async () => {
    const t = await tenant();
    const created = await t.call("POST", "/v1/contacts", { wa_id: "+91 98200 11001", marketing_opt_in: { source: "web_form" } });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect((await t.call("PATCH", `/v1/contacts/${id}`, { marketing_opt_in: true })).status).toBe(200); // already in: nothing
    expect((await t.call("PATCH", `/v1/contacts/${id}`, { marketing_opt_out: true })).status).toBe(200);
    expect((await t.call("PATCH", `/v1/contacts/${id}`, { name: "Asha" })).status).toBe(200);
    const got = await events(t.workspaceId);
    expect(got.map((e) => [e.event_type, e.body.data.source])).toEqual([
      ["contact.opted_in", "web_form"],
      ["contact.opted_out", "api"],
    ]);
    expect(got[0]!.body.data).toMatchObject({ wa_id: "919820011001", contact_id: id });
  });

  it("an import's opt_in and opt_out columns: one event per change, naming the import", async () => {
    const t = await tenant();
    const csv = "wa_id,opt_in,opt_out\n919820012001,yes,\n919820012002,,yes\n919820012003,,\n";
    const res = await stack.request("/v1/contacts/imports", { method: "POST", headers: { authorization: `Bearer ${t.key}`, "content-type": "text/csv" }, body: csv });
    const { id } = await res.json();
    expect(await runImport(stack.services, { workspaceId: t.workspaceId, importId: id })).toBe("completed");
    const got = await events(t.workspaceId);
    expect(got.map((e) => [e.event_type, e.body.data.wa_id, e.body.data.source, e.body.data.import_id]).sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([
      ["contact.opted_in", "919820012001", "import", id],
      ["contact.opted_out", "919820012002", "import", id],
    ]);
    // The same file again changes nothing, and says nothing.
    const again = await stack.request("/v1/contacts/imports", { method: "POST", headers: { authorization: `Bearer ${t.key}`, "content-type": "text/csv" }, body: csv });
    await runImport(stack.services, { workspaceId: t.workspaceId, importId: (await again.json()).id });
    expect(await events(t.workspaceId)).toHaveLength(2);
  });

  it("one batch of new and existing contacts: a new one is created with its consent, an existing one changed only where it changes; each change one row and one event", async () => {
    const t = await tenant();
    for (const [waId, optIn] of [["919820014001", true], ["919820014002", false], ["919820014003", true]] as const) {
      expect((await t.call("POST", "/v1/contacts", { wa_id: waId, ...(optIn ? { marketing_opt_in: true } : {}) })).status).toBe(201);
    }
    const csv = "wa_id,opt_in,opt_out\n919820014001,,yes\n919820014002,yes,\n919820014003,yes,\n919820014004,yes,\n919820014005,,yes\n919820014006,,\n";
    const res = await stack.request("/v1/contacts/imports", { method: "POST", headers: { authorization: `Bearer ${t.key}`, "content-type": "text/csv" }, body: csv });
    const { id } = await res.json();
    expect(await runImport(stack.services, { workspaceId: t.workspaceId, importId: id })).toBe("completed");
    const [view] = await stack.owner<{ created: number; updated: number; unchanged: number }[]>`select created, updated, unchanged from contact_imports where id = ${id}`;
    expect(view).toEqual({ created: 3, updated: 2, unchanged: 1 });
    const rows = await stack.owner<{ wa_id: string; consent: string; source: string; line: number; linked: boolean }[]>`
      select e.wa_id, e.consent, e.source, (e.details->>'line')::int as line, e.contact_id = c.id as linked
      from contact_consent_events e join contacts c on c.workspace_id = e.workspace_id and c.wa_id = e.wa_id
      where e.workspace_id = ${t.workspaceId} and e.details->>'import_id' = ${id} order by e.wa_id`;
    expect(rows).toEqual([
      { wa_id: "919820014001", consent: "opt_out", source: "import", line: 2, linked: true },
      { wa_id: "919820014002", consent: "opt_in", source: "import", line: 3, linked: true },
      { wa_id: "919820014004", consent: "opt_in", source: "import", line: 5, linked: true },
      { wa_id: "919820014005", consent: "opt_out", source: "import", line: 6, linked: true },
    ]);
    const state = await stack.owner<{ wa_id: string; in_source: string | null; out_source: string | null }[]>`
      select wa_id, marketing_opt_in_source as in_source, opted_out_source as out_source from contacts where workspace_id = ${t.workspaceId} order by wa_id`;
    expect(state).toEqual([
      { wa_id: "919820014001", in_source: null, out_source: "import" },
      { wa_id: "919820014002", in_source: "import", out_source: null },
      { wa_id: "919820014003", in_source: "api", out_source: null },
      { wa_id: "919820014004", in_source: "import", out_source: null },
      { wa_id: "919820014005", in_source: null, out_source: "import" },
      { wa_id: "919820014006", in_source: null, out_source: null },
    ]);
    const announced = (await events(t.workspaceId)).filter((e) => e.body.data.import_id === id);
    expect(announced.map((e) => [e.event_type, e.body.data.wa_id]).sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([
      ["contact.opted_out", "919820014001"],
      ["contact.opted_in", "919820014002"],
      ["contact.opted_in", "919820014004"],
      ["contact.opted_out", "919820014005"],
    ]);
  });
});

describe("consent evidence outlives the contact", () => {
  it("deleting a contact keeps its consent rows, with the number they are about", async () => {
    const t = await tenant();
    const created = await t.call("POST", "/v1/contacts", { wa_id: "919820013001", marketing_opt_in: true });
    const id = created.json.id as string;
    await t.call("PATCH", `/v1/contacts/${id}`, { marketing_opt_out: true });
    expect((await t.call("DELETE", `/v1/contacts/${id}`)).status).toBe(204);
    expect((await t.call("GET", `/v1/contacts/${id}`)).status).toBe(404);
    const kept = await stack.owner`select contact_id, wa_id, consent, source from contact_consent_events where workspace_id = ${t.workspaceId} order by occurred_at, created_at`;
    expect(kept).toEqual([
      { contact_id: null, wa_id: "919820013001", consent: "opt_in", source: "api" },
      { contact_id: null, wa_id: "919820013001", consent: "opt_out", source: "api" },
    ]);
    // A new contact with the number starts a history of its own; the old rows stay.
    const again = await t.call("POST", "/v1/contacts", { wa_id: "919820013001" });
    expect(again.status).toBe(201);
    expect((await stack.owner`select count(*)::int as n from contact_consent_events where workspace_id = ${t.workspaceId} and wa_id = '919820013001'`)[0]!.n).toBe(2);
  });

  it("the database fills each row's number from its contact; the app role still cannot change or delete a row", async () => {
    const t = await tenant();
    const created = await t.call("POST", "/v1/contacts", { wa_id: "919820014001", marketing_opt_in: true });
    const [row] = await stack.owner<{ wa_id: string }[]>`select wa_id from contact_consent_events where contact_id = ${created.json.id}`;
    expect(row!.wa_id).toBe("919820014001");
    const app = (await import("postgres")).default(stack.config.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      await expect(app.begin(async (tx) => {
        await tx`select set_config('app.workspace_id', ${t.workspaceId}, true)`;
        await tx`update contact_consent_events set wa_id = '910000000000'`;
      })).rejects.toThrow(/permission denied/);
      await expect(app.begin(async (tx) => {
        await tx`select set_config('app.workspace_id', ${t.workspaceId}, true)`;
        await tx`delete from contact_consent_events`;
      })).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
  });
});
