import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_EXPORT_ATTRIBUTES } from "../lib/contacts/export.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// One column per attribute name in use: an export's width is bounded, not the book's whim.
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
