import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_WORKSPACE_ATTRIBUTES } from "../lib/contacts/attribute-names.js";
import { MAX_EXPORT_ATTRIBUTES } from "../lib/contacts/export.js";
import { runImport } from "../lib/contacts/import-run.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// One export column per attribute name in use: the names a workspace uses are bounded, and so is an export's width.
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

/** n contacts, each with an attribute name of its own. */
const contactsWithOwnKeys = (workspaceId: string, n: number) =>
  stack.owner`insert into contacts (workspace_id, wa_id, attributes)
    select ${workspaceId}, (919870000000 + i)::text, jsonb_build_object('k' || i, 'v') from generate_series(1, ${n}) i`;

describe("GET /v1/contacts/export: attribute columns", () => {
  it(`${MAX_EXPORT_ATTRIBUTES} distinct attribute names export, one column each`, async () => {
    const t = await stack.tenant();
    await contactsWithOwnKeys(t.workspaceId, MAX_EXPORT_ATTRIBUTES);
    const res = await stack.request("/v1/contacts/export", { headers: { authorization: `Bearer ${t.key}` } });
    expect(res.status).toBe(200);
    const header = (await res.text()).split("\r\n")[0]!.split(",");
    expect(header).toHaveLength(5 + MAX_EXPORT_ATTRIBUTES);
  });

  it("one name more is 422 validation_failed naming attributes, before any byte of CSV", async () => {
    const t = await stack.tenant();
    await contactsWithOwnKeys(t.workspaceId, MAX_EXPORT_ATTRIBUTES + 1);
    const res = await stack.request("/v1/contacts/export", { headers: { authorization: `Bearer ${t.key}` } });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toMatch(/json/);
    expect((await res.json()).error).toMatchObject({ code: "validation_failed", details: [{ field: "attributes", message: expect.stringMatching(/more than 200/) }] });
  });
});

describe("writes that would bring attribute name 201", () => {
  const seeded = async () => {
    const t = await stack.tenant();
    await contactsWithOwnKeys(t.workspaceId, MAX_WORKSPACE_ATTRIBUTES);
    const call = async (method: string, path: string, body: unknown) => {
      const res = await stack.request(path, { method, headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: res.status, json: await res.json() };
    };
    return { ...t, call };
  };

  it("POST and PATCH /v1/contacts: a new name is 422 validation_failed naming it; names in use still write", async () => {
    const t = await seeded();
    const refused = await t.call("POST", "/v1/contacts", { wa_id: "919871000001", attributes: { k1: "a", city: "Pune" } });
    expect(refused.status).toBe(422);
    expect(refused.json.error).toMatchObject({ code: "validation_failed", details: [{ field: "attributes.city", message: expect.stringMatching(/already use 200 attribute names/) }] });
    const ok = await t.call("POST", "/v1/contacts", { wa_id: "919871000001", attributes: { k1: "a", k200: "b" } });
    expect(ok.status).toBe(201);
    const patched = await t.call("PATCH", `/v1/contacts/${ok.json.id}`, { attributes: { k7: "c" } });
    expect(patched.status).toBe(200);
    const newName = await t.call("PATCH", `/v1/contacts/${ok.json.id}`, { attributes: { plan: "gold" } });
    expect(newName.status).toBe(422);
    expect(newName.json.error.details).toEqual([{ field: "attributes.plan", message: expect.any(String) }]);
    const [row] = await stack.owner<{ attributes: Record<string, string> }[]>`select attributes from contacts where id = ${ok.json.id}`;
    expect(row!.attributes).toEqual({ k1: "a", k200: "b", k7: "c" });
  });

  it("an import: a row setting a new name is a per-row error naming it; the other rows are imported", async () => {
    const t = await seeded();
    const csv = "wa_id,k3,plan\n919871000011,x,\n919871000012,,gold\n919871000013,y,\n";
    const res = await stack.request("/v1/contacts/imports", { method: "POST", headers: { authorization: `Bearer ${t.key}`, "content-type": "text/csv" }, body: csv });
    const { id } = await res.json();
    // No queue consumes here: the import's job runs as the queue would run it.
    await runImport(stack.services, { workspaceId: t.workspaceId, importId: id });
    const body = await (await stack.request(`/v1/contacts/imports/${id}`, { headers: { authorization: `Bearer ${t.key}` } })).json();
    expect(body).toMatchObject({ status: "completed", created: 2, failed: 1, errors: [{ line: 3, message: expect.stringMatching(/^attributes\.plan: .*already use 200/) }] });
  });
});
