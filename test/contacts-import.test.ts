import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importAndWait, importStack } from "./support/import-kit.js";
import type { TestStack } from "./support/stack.js";
import { IMPORT_BATCH_ROWS } from "../lib/contacts/import-limits.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await importStack();
});
afterAll(() => stack.close());

type Tenant = Awaited<ReturnType<TestStack["tenant"]>>;
const auth = (t: Tenant) => ({ authorization: `Bearer ${t.key}` });

/** The body as a stream of small chunks that cut lines (and multi-byte characters) anywhere. */
function chunked(text: string, size = 7): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}
/** The import's view once its job has ended it. */
const importCsv = (t: Tenant, csv: string) => importAndWait(stack, t, chunked(csv));
const contactsOf = (workspaceId: string) =>
  stack.owner<{ wa_id: string; name: string | null; tags: string[]; attributes: Record<string, unknown>; marketing_opt_in_at: Date | null; opted_out_at: Date | null }[]>`
    select wa_id, name, tags, attributes, marketing_opt_in_at, opted_out_at from contacts where workspace_id = ${workspaceId} order by wa_id`;

const GOOD = [
  "wa_id,name,tags,opt_in,opt_out,city",
  "+91 98100 00001,Asha,vip;diwali,yes,,Pune",
  "919810000002,Ravi,,,true,Mumbai",
  `919810000003,"Meera, Dr.",vip,2026-10-01T09:00:00Z,,"Navi ""New"" Mumbai"`,
  "919810000004,Kiran ✓,,,,",
].join("\n");

describe("POST /v1/contacts/imports", () => {
  it("imports every good row; each bad row is reported with its line and the rest are imported", async () => {
    const t = await stack.tenant();
    const csv = [
      "wa_id,name,tags,opt_in,opt_out,city",
      "919820000001,Asha,vip,,,Pune", // line 2
      "not-a-number,Bad,,,,", // line 3
      "919820000003,Both,,yes,yes,", // line 4
      "919820000004,Extra,,,,,surplus", // line 5: one cell too many
      "919820000005,Late,,2999-01-01T00:00:00Z,,", // line 6: consent in the future
      "919820000006,Ravi,,,,Mumbai", // line 7
    ].join("\n");
    const { status, body } = await importCsv(t, csv);
    expect(status).toBe(202);
    expect(body).toMatchObject({ status: "completed", rows_read: 6, created: 2, updated: 0, unchanged: 0, failed: 4, errors_truncated: false });
    expect(body.errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 5, 6]);
    expect(body.errors[0].message).toMatch(/^wa_id: /);
    expect(body.errors[1].message).toMatch(/opt_in and opt_out/);
    expect(body.errors[3].message).toMatch(/^opt_in: must not be in the future/);
    expect((await contactsOf(t.workspaceId)).map((c) => c.wa_id)).toEqual(["919820000001", "919820000006"]);
    const again = await stack.request(`/v1/contacts/imports/${body.id}`, { headers: auth(t) });
    expect(await again.json()).toEqual(body);
  });

  it("stores names, tags, attributes and consent; consent rows name the import and the line", async () => {
    const t = await stack.tenant();
    const { body } = await importCsv(t, GOOD);
    expect(body).toMatchObject({ status: "completed", rows_read: 4, created: 4, updated: 0, failed: 0 });
    const rows = await contactsOf(t.workspaceId);
    expect(rows.map((r) => [r.wa_id, r.name, r.tags, r.attributes])).toEqual([
      ["919810000001", "Asha", ["vip", "diwali"], { city: "Pune" }],
      ["919810000002", "Ravi", [], { city: "Mumbai" }],
      ["919810000003", "Meera, Dr.", ["vip"], { city: 'Navi "New" Mumbai' }],
      ["919810000004", "Kiran ✓", [], {}],
    ]);
    expect(rows[2]!.marketing_opt_in_at!.toISOString()).toBe("2026-10-01T09:00:00.000Z");
    expect(rows[1]!.opted_out_at).not.toBeNull();
    const events = await stack.owner`select consent, source, actor_type, actor_id, details from contact_consent_events where workspace_id = ${t.workspaceId} order by details->>'line'`;
    expect(events).toEqual([
      { consent: "opt_in", source: "import", actor_type: "api_key", actor_id: t.keyId, details: { import_id: body.id, line: 2 } },
      { consent: "opt_out", source: "import", actor_type: "api_key", actor_id: t.keyId, details: { import_id: body.id, line: 3 } },
      { consent: "opt_in", source: "import", actor_type: "api_key", actor_id: t.keyId, details: { import_id: body.id, line: 4 } },
    ]);
  });

  it("re-importing the same file changes nothing: 0 created, 0 updated, no new consent row", async () => {
    const t = await stack.tenant();
    await importCsv(t, GOOD);
    const before = await contactsOf(t.workspaceId);
    const stamp = (await stack.owner<{ updated_at: Date }[]>`select max(updated_at) as updated_at from contacts where workspace_id = ${t.workspaceId}`)[0]!.updated_at;
    const { body } = await importCsv(t, GOOD);
    expect(body).toMatchObject({ status: "completed", rows_read: 4, created: 0, updated: 0, unchanged: 4, failed: 0 });
    expect(await contactsOf(t.workspaceId)).toEqual(before);
    const after = (await stack.owner<{ updated_at: Date }[]>`select max(updated_at) as updated_at from contacts where workspace_id = ${t.workspaceId}`)[0]!.updated_at;
    expect(after).toEqual(stamp);
    expect((await stack.owner`select count(*)::int as n from contact_consent_events where workspace_id = ${t.workspaceId}`)[0]!.n).toBe(3);
  });

  it("a later file adds tags, merges attributes and counts what it changed", async () => {
    const t = await stack.tenant();
    await importCsv(t, GOOD);
    const { body } = await importCsv(t, "wa_id,tags,plan\n919810000001,gold,premium\n919810000002,,\n919819999999,,\n");
    expect(body).toMatchObject({ created: 1, updated: 1, unchanged: 1 });
    const [asha] = await contactsOf(t.workspaceId);
    expect(asha).toMatchObject({ name: "Asha", tags: ["vip", "diwali", "gold"], attributes: { city: "Pune", plan: "premium" } });
  });

  it("a tag that would take a contact past 50 is not added, and the row is unchanged, again and again", async () => {
    const t = await stack.tenant();
    const fifty = Array.from({ length: 50 }, (_, i) => `t${i}`);
    await stack.request("/v1/contacts", { method: "POST", headers: { ...auth(t), "content-type": "application/json" }, body: JSON.stringify({ wa_id: "919870000001", tags: fifty }) });
    for (let i = 0; i < 2; i++) {
      const { body } = await importCsv(t, "wa_id,tags\n919870000001,one_more\n");
      expect(body).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    }
    expect((await contactsOf(t.workspaceId))[0]!.tags).toEqual(fifty);
  });

  it("a number twice in one file is one contact; the later row's values win", async () => {
    const t = await stack.tenant();
    const { body } = await importCsv(t, "wa_id,name\n919830000001,First\n+919830000001,Second\n");
    expect(body).toMatchObject({ created: 1, updated: 1, failed: 0 });
    expect((await contactsOf(t.workspaceId)).map((c) => c.name)).toEqual(["Second"]);
  });

  it("thousands of rows across several batches, streamed in 7-byte chunks", async () => {
    const t = await stack.tenant();
    const lines = ["wa_id,name,segment"];
    const n = 2 * IMPORT_BATCH_ROWS + 500;
    for (let i = 0; i < n; i++) lines.push(`9184${String(i).padStart(8, "0")},Name ${i},s${i % 3}`);
    const { body } = await importCsv(t, lines.join("\r\n"));
    expect(body).toMatchObject({ status: "completed", rows_read: n, created: n, failed: 0 });
    expect((await stack.owner`select count(*)::int as n from contacts where workspace_id = ${t.workspaceId}`)[0]!.n).toBe(n);
  });

  it("keeps the first 1,000 errors with their lines and counts them all", async () => {
    const t = await stack.tenant();
    const lines = ["wa_id,name", "919860000001,Good"];
    for (let i = 0; i < 1005; i++) lines.push(`bad${i},x`);
    const { body } = await importCsv(t, lines.join("\n"));
    expect(body).toMatchObject({ status: "completed", rows_read: 1006, created: 1, failed: 1005, errors_truncated: true });
    expect(body.errors).toHaveLength(1000);
    expect(body.errors[0].line).toBe(3);
    expect(body.errors[999].line).toBe(1002);
  });

  it("a CSV without a wa_id column is 422 csv_invalid at once, and nothing is kept", async () => {
    const t = await stack.tenant();
    const { status, body } = await importCsv(t, "phone,name\n919840000001,A\n");
    expect(status).toBe(422);
    expect(body.error).toMatchObject({ code: "csv_invalid", message: expect.stringMatching(/wa_id column/) });
    expect(await stack.owner`select id from contact_imports where workspace_id = ${t.workspaceId}`).toEqual([]);
  });

  it("a header that cannot be an export column, or appears twice, is 422 naming the column", async () => {
    const t = await stack.tenant();
    expect((await importCsv(t, "wa_id,name,city,city\n919840000001,A,x,y\n")).body.error.message).toMatch(/column "city" appears twice/);
    expect((await importCsv(t, "")).body.error).toMatchObject({ code: "csv_invalid", message: expect.stringMatching(/wa_id column/) });
  });

  it("a workspace cannot see another's import (404)", async () => {
    const a = await stack.tenant("A");
    const b = await stack.tenant("B");
    const { body } = await importCsv(a, GOOD);
    const res = await stack.request(`/v1/contacts/imports/${body.id}`, { headers: auth(b) });
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe("not_found");
    // Nor did the import write into B.
    expect(await contactsOf(b.workspaceId)).toEqual([]);
  });
});

describe("GET /v1/contacts/export", () => {
  it("streams the same columns, formula-safe; importing the export back changes nothing", async () => {
    const t = await stack.tenant();
    await importCsv(t, GOOD);
    await stack.owner`insert into contacts (workspace_id, wa_id, profile_name, name) values (${t.workspaceId}, '919850000001', 'x', '=HYPERLINK("http://evil")')`;
    const res = await stack.request("/v1/contacts/export", { headers: auth(t) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const csv = await res.text();
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe("wa_id,name,tags,opt_in,opt_out,city");
    expect(lines).toHaveLength(6);
    expect(csv).toContain(`919850000001,"'=HYPERLINK(""http://evil"")",,,,\r\n`);
    expect(csv).toContain(`"Meera, Dr.",vip,2026-10-01T09:00:00.000Z,,"Navi ""New"" Mumbai"`);
    const { body } = await importCsv(t, csv);
    expect(body).toMatchObject({ rows_read: 5, created: 0, updated: 0, unchanged: 5, failed: 0 });
    expect((await contactsOf(t.workspaceId)).find((c) => c.wa_id === "919850000001")!.name).toBe('=HYPERLINK("http://evil")');
  });

  it("a workspace's export holds only its own contacts", async () => {
    const a = await stack.tenant("A");
    const b = await stack.tenant("B");
    await importCsv(a, GOOD);
    const csv = await (await stack.request("/v1/contacts/export", { headers: auth(b) })).text();
    expect(csv).toBe("wa_id,name,tags,opt_in,opt_out\r\n");
  });
});
