import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countedBody } from "../functions/middleware/security.js";
import { IMPORT_BATCH_ROWS, MAX_STORED_ERRORS } from "../lib/contacts/import-limits.js";
import { runImport } from "../lib/contacts/import-run.js";
import { importEnded } from "./support/import-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// An import's memory is bounded by a chunk and a batch, whatever the body holds: bad rows are counted, not kept.
// The local queue here is not consumed: each test runs the import's job itself.
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
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

/** Runs the import's job until it ends, as the queue would: each stretch continues from the last one's checkpoint. */
async function runToEnd(workspaceId: string, importId: string, sliceMs?: number) {
  const outcomes: string[] = [];
  for (;;) {
    const o = await runImport(stack.services, { workspaceId, importId }, sliceMs);
    outcomes.push(o);
    if (o !== "continued") return outcomes;
  }
}

describe("contact imports stay bounded on hostile bodies", () => {
  it("200,000 rows the parser skips: counted batch by batch (progress shows before the end), ≤ MAX_STORED_ERRORS kept", async () => {
    const t = await stack.tenant();
    const b = pushed();
    b.write("wa_id,name\n");
    const answer = startImport(t, b.body);
    for (let i = 0; i < 200_000; i += 10_000) b.write(badRows(i, 10_000));
    b.end();
    const res = await answer;
    expect(res.status).toBe(202);
    const { id } = await res.json();
    // One batch a stretch: after the first, the import shows its progress and is still running.
    expect(await runImport(stack.services, { workspaceId: t.workspaceId, importId: id }, 0)).toBe("continued");
    expect(await importRow(t.workspaceId)).toMatchObject({ status: "running", failed: IMPORT_BATCH_ROWS });
    expect(await stack.owner`select 1 from contact_imports where id = ${id} and bytes_done > 11 and bytes_done < bytes_total`).toHaveLength(1);
    await runToEnd(t.workspaceId, id);
    const body = await importEnded(stack, t, id);
    expect(body).toMatchObject({ status: "completed", rows_read: 200_000, created: 0, failed: 200_000, errors_truncated: true });
    expect(body.errors.length).toBeLessThanOrEqual(MAX_STORED_ERRORS);
    const [stored] = await stack.owner<{ n: number }[]>`select count(*)::int as n from contact_import_errors where workspace_id = ${t.workspaceId}`;
    expect(stored!.n).toBeLessThanOrEqual(MAX_STORED_ERRORS);
    expect(body.errors[0].line).toBe(2);
  }, 120_000);

  /** A 1 MiB field, streamed in 64 KiB chunks between head and tail: the answer, then the import's end. */
  async function longField(t: Tenant, head: string, fill: string, tail: string) {
    const b = pushed();
    b.write(head);
    const answer = startImport(t, b.body);
    for (let i = 0; i < 16; i++) b.write(fill.repeat(64 * 1024));
    b.write(tail);
    b.end();
    const res = await answer;
    const { id } = await res.json();
    return { status: res.status, outcomes: await runToEnd(t.workspaceId, id), row: await importRow(t.workspaceId), view: await importEnded(stack, t, id) };
  }

  it("a 1 MB quoted field is a clear import failure naming its line; rows before it stay imported", async () => {
    const t = await stack.tenant();
    const r = await longField(t, 'wa_id,name\n919850000001,Asha\n919850000002,"', "x", '"\n919850000003,Ravi\n');
    expect(r).toMatchObject({ status: 202, outcomes: ["failed"], row: { status: "failed", error: expect.stringMatching(/line 3: a row is longer than 64 KiB/) }, view: { created: 1 } });
    // Nothing of the body is kept once the import has ended.
    expect(await stack.owner`select seq from contact_import_chunks where workspace_id = ${t.workspaceId}`).toEqual([]);
  });

  it("an unterminated quoted field and nothing else: the import fails naming the limit", async () => {
    const t = await stack.tenant();
    const r = await longField(t, 'wa_id,name\n"9198', "9", "");
    expect(r).toMatchObject({ status: 202, row: { status: "failed", error: expect.stringMatching(/longer than 64 KiB/) } });
  });

  it("a header line longer than 64 KiB is 422 csv_invalid before anything is kept", async () => {
    const t = await stack.tenant();
    const b = pushed();
    b.write("wa_id,");
    const answer = startImport(t, b.body);
    for (let i = 0; i < 2; i++) b.write("x".repeat(64 * 1024));
    b.end();
    const res = await answer;
    expect(res.status).toBe(422);
    expect((await res.json()).error.message).toMatch(/header line is longer than 64 KiB/);
    expect(await importRow(t.workspaceId)).toBeUndefined();
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
