import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countedBody } from "../functions/middleware/security.js";
import { MAX_STORED_ERRORS } from "../lib/contacts/import.js";
import { eventually } from "./support/eventually.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// An import's memory is bounded by its batch, whatever the body holds: bad rows are counted, not kept.
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

type Tenant = Awaited<ReturnType<TestStack["tenant"]>>;
const auth = (t: Tenant) => ({ authorization: `Bearer ${t.key}` });
const encoder = new TextEncoder();

/** A request body the test writes to as the import reads it. */
function pushed() {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (ctl = c) });
  return { body, write: (s: string) => ctl.enqueue(encoder.encode(s)), end: () => ctl.close() };
}
const startImport = (t: Tenant, body: ReadableStream<Uint8Array>) =>
  stack.request("/v1/contacts/imports", { method: "POST", headers: { ...auth(t), "content-type": "text/csv" }, body, duplex: "half" } as RequestInit);
const importRow = async (workspaceId: string) => (await stack.owner<{ status: string; failed: number; error: string | null }[]>`select status, failed, error from contact_imports where workspace_id = ${workspaceId}`)[0];
/** Rows csv-parse itself skips: three fields under a two-column header. */
const badRows = (from: number, n: number) => Array.from({ length: n }, (_, i) => `x${from + i},y,z\n`).join("");

describe("contact imports stay bounded on hostile bodies", () => {
  it("200,000 rows the parser skips: counted as they stream (progress shows before the end), ≤ MAX_STORED_ERRORS kept", async () => {
    const t = await stack.tenant();
    const b = pushed();
    b.write("wa_id,name\n");
    for (let i = 0; i < 100_000; i += 10_000) b.write(badRows(i, 10_000));
    const answer = startImport(t, b.body);
    // No good row has arrived, yet the failures are written batch by batch, not held.
    await eventually(() => importRow(t.workspaceId), (r) => (r?.failed ?? 0) >= 90_000, 60_000);
    for (let i = 100_000; i < 200_000; i += 10_000) b.write(badRows(i, 10_000));
    b.end();
    const res = await answer;
    const body = await res.json();
    expect(body).toMatchObject({ status: "completed", rows_read: 200_000, created: 0, failed: 200_000, errors_truncated: true });
    expect(body.errors.length).toBeLessThanOrEqual(MAX_STORED_ERRORS);
    const [stored] = await stack.owner<{ n: number }[]>`select count(*)::int as n from contact_import_errors where workspace_id = ${t.workspaceId}`;
    expect(stored!.n).toBeLessThanOrEqual(MAX_STORED_ERRORS);
    expect(body.errors[0].line).toBe(2);
  }, 120_000);

  /** A 1 MiB field, streamed in 64 KiB chunks between head and tail: the import's answer. */
  async function longField(t: Tenant, head: string, fill: string, tail: string) {
    const b = pushed();
    b.write(head);
    const answer = startImport(t, b.body);
    for (let i = 0; i < 16; i++) b.write(fill.repeat(64 * 1024));
    b.write(tail);
    b.end();
    const res = await answer;
    return { status: res.status, error: (await res.json()).error, row: await importRow(t.workspaceId) };
  }

  it("a 1 MB quoted field is a clear import failure naming its line; the process serves on", async () => {
    const t = await stack.tenant();
    const r = await longField(t, 'wa_id,name\n919850000002,"', "x", '"\n919850000003,Ravi\n');
    expect(r).toMatchObject({ status: 422, error: { code: "csv_invalid", message: expect.stringMatching(/line 2: a row is longer than 64 KiB/) }, row: { status: "failed", error: expect.stringMatching(/line 2/) } });
    // The server still answers.
    expect((await stack.request("/v1/contacts/imports", { method: "POST", headers: { ...auth(t), "content-type": "text/csv" }, body: "wa_id\n919850000001\n" })).status).toBe(202);
  });

  it("an unterminated quoted field and nothing else: 422 csv_invalid naming the limit", async () => {
    const t = await stack.tenant();
    const r = await longField(t, 'wa_id,name\n"9198', "9", "");
    expect(r).toMatchObject({ status: 422, error: { code: "csv_invalid", message: expect.stringMatching(/longer than 64 KiB/) }, row: { status: "failed" } });
  });

  it("a streamed CSV body is passed on as it arrives and counted: past the limit the read fails with 413", async () => {
    let sent = 0;
    const source = new ReadableStream<Uint8Array>({ pull: (c) => void (sent++ < 3 ? c.enqueue(new Uint8Array(10)) : c.close()) });
    const reader = countedBody(source, 25)!.getReader();
    expect((await reader.read()).value).toHaveLength(10);
    expect((await reader.read()).value).toHaveLength(10);
    await expect(reader.read()).rejects.toMatchObject({ status: 413, code: "payload_too_large" });
  });
});
