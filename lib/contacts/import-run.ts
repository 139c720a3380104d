import { and, count, eq, sql } from "drizzle-orm";
import { contactImportChunks, contactImportErrors, contactImports } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import type { ImportJob } from "../queue/port.js";
import { attributeNamesInUse, namesProblem } from "./attribute-names.js";
import { csvRecords } from "./csv-records.js";
import { CsvHeaderError, readHeader, readRow, type ImportRow } from "./csv.js";
import { applyBatch } from "./import-batch.js";
import { consentEvent } from "./consent.js";
import { dispatchRecorded, recordEvents } from "../webhooks/emit.js";
import { IMPORT_BATCH_ROWS, IMPORT_SLICE_MS, MAX_IMPORT_ROWS, MAX_RECORD_BYTES, MAX_STORED_ERRORS } from "./import-limits.js";
import { stagedBody } from "./import-staged.js";

/** Another run of the same import moved its checkpoint first: this one stops, writing nothing. */
class Superseded extends Error {}

export type ImportOutcome = "completed" | "failed" | "continued" | "superseded" | "nothing";

/**
 * One stretch of an import's run (the job of /jobs/import and of the local queue): the
 * kept body is parsed from the checkpoint and written `batchRows` (5,000) rows per transaction, each
 * transaction moving the checkpoint (bytes and lines done, counts, its rows' errors) only
 * if no other run moved it first. After `sliceMs` the next stretch is queued from the
 * checkpoint, so a Worker invocation's bounded time never cuts a file short, and a run
 * killed anywhere resumes exactly where its last commit left it.
 */
export async function runImport(s: Services, job: ImportJob, sliceMs = IMPORT_SLICE_MS, batchRows = IMPORT_BATCH_ROWS): Promise<ImportOutcome> {
  const { workspaceId, importId: id } = job;
  const started = Date.now();
  const row = await withTenant(s.db, workspaceId, async (tx) => {
    const [r] = await tx.update(contactImports).set({ status: "running", updatedAt: s.clock.now() }).where(and(eq(contactImports.id, id), sql`${contactImports.status} in ('queued', 'running')`)).returning();
    if (!r) return undefined;
    const [e] = await tx.select({ n: count() }).from(contactImportErrors).where(eq(contactImportErrors.importId, id));
    return { ...r, storedErrors: e?.n ?? 0 };
  });
  if (!row || !row.header) return "nothing";
  const actorId = row.actorId ?? null;
  const p = { rowsRead: row.rowsRead };
  // The checkpoint as committed, and the end of the last record counted since (absolute).
  let done = { bytes: row.bytesDone, lines: row.linesDone };
  let seen = { ...done };
  const at = (bytes: number, lines: number) => (seen = { bytes: row.bytesDone + bytes, lines: row.linesDone + lines });

  let batch: ImportRow[] = [];
  let inBatch = new Set<string>();
  let errors: { line: number; message: string }[] = [];
  let failedPending = 0;
  // Counted as errors are taken, not as they commit: a batch in flight holds some too.
  let kept = row.storedErrors;
  const fail = (line: number, message: string) => {
    failedPending++;
    if (kept >= MAX_STORED_ERRORS) return;
    errors.push({ line, message });
    kept++;
  };
  const tooMany = `the CSV has more than ${MAX_IMPORT_ROWS.toLocaleString("en")} rows: the first ${MAX_IMPORT_ROWS.toLocaleString("en")} were imported`;

  // Two batches are written at once (on two connections) while the next is parsed. Each
  // commits only after the one before it has: its checkpoint moves from where that one's
  // ended, so the checkpoint always covers every row before it. Two batches in flight
  // never share a number (the later waits), so neither waits on the other's rows.
  let last: Promise<void> = Promise.resolve(); // the latest batch, until committed
  let lastNumbers = new Set<string>();
  let before: Promise<void> = Promise.resolve(); // the one before it
  let queued = { ...done }; // where the latest batch ends
  let announcing: Promise<void> = Promise.resolve(); // the webhook events' dispatch, after their commits
  const flush = async () => {
    await before;
    if (!batch.length && !failedPending && seen.bytes === queued.bytes) return;
    const rows = batch;
    const numbers = inBatch;
    const errs = errors;
    const failedNow = failedPending;
    const readNow = p.rowsRead;
    const to = seen;
    const from = queued.bytes;
    batch = [];
    inBatch = new Set();
    errors = [];
    failedPending = 0;
    if (rows.some((r) => lastNumbers.has(r.wa_id))) await last;
    const previous = last;
    const now = s.clock.now();
    let announce = false;
    const mine = withTenant(s.db, workspaceId, async (tx) => {
      const r = rows.length ? await applyBatch(tx, { workspaceId, importId: id, now, actorType: row.actorType, actorId }, rows) : { created: 0, updated: 0, unchanged: 0, consent: [] };
      // Consent changed by the file is announced as the API's and keywords' changes are, durable with them.
      announce = (await recordEvents(s, tx, workspaceId, r.consent.map((c) => consentEvent(c.kind, { id: c.contactId, waId: c.waId }, "import", c.at, { import_id: id })))) > 0;
      if (errs.length) {
        await tx.execute(sql`insert into contact_import_errors (workspace_id, import_id, line, message)
          select ${workspaceId}, ${id}, e.line, e.message from jsonb_to_recordset(${JSON.stringify(errs)}::jsonb) as e(line int, message text)
          on conflict do nothing`);
      }
      // The batch before commits first (or this one fails with it, writing nothing). Then the
      // checkpoint moves with this batch's counts, only if no other run moved it first: a
      // second run of this stretch finds it moved, and its transaction writes nothing.
      await previous;
      const moved = await tx
        .update(contactImports)
        .set({
          bytesDone: to.bytes,
          linesDone: to.lines,
          rowsRead: readNow,
          created: sql`${contactImports.created} + ${r.created}`,
          updated: sql`${contactImports.updated} + ${r.updated}`,
          unchanged: sql`${contactImports.unchanged} + ${r.unchanged}`,
          failed: sql`${contactImports.failed} + ${failedNow}`,
          updatedAt: now,
        })
        .where(and(eq(contactImports.id, id), eq(contactImports.bytesDone, from)))
        .returning({ id: contactImports.id });
      if (!moved.length) throw new Superseded();
    }).then(() => {
      done = to;
      // Not in the chain the next batch waits on: with a pool of one (the Worker), that batch holds the connection.
      if (announce) announcing = announcing.then(() => dispatchRecorded(s, [workspaceId]).catch((err: unknown) => s.logger.error("webhook dispatch failed; the sweep retries", { error: err })));
    });
    mine.catch(() => {});
    before = last;
    last = mine;
    lastNumbers = numbers;
    queued = to;
  };

  /** A full batch is written; true when this stretch has had its time and should hand over. */
  const flushWhenFull = async () => {
    if (batch.length < batchRows && failedPending < batchRows) return false;
    await flush();
    return Date.now() - started > sliceMs;
  };

  const attributeColumns = readHeader(row.header);
  let names: Set<string> | null = null;
  let fatal: string | null = null;
  let sliced = false;
  const options = { columns: row.header, skip_empty_lines: true, max_record_size: MAX_RECORD_BYTES };
  try {
    const body = stagedBody(s, workspaceId, id, row.bytesDone);
    rows: for await (const items of csvRecords(body, options)) {
      for (const item of items) {
        const line = row.linesDone + item.info.lines;
        if (item.skipped?.code === "CSV_MAX_RECORD_SIZE") {
          fatal = `line ${line}: a row is longer than ${MAX_RECORD_BYTES / 1024} KiB (an unterminated quoted field?)`;
          break rows;
        }
        if (p.rowsRead >= MAX_IMPORT_ROWS) {
          fatal = tooMany;
          break rows;
        }
        p.rowsRead++;
        if (item.skipped) fail(line, item.skipped.message.replace(/ on line \d+/, ` on line ${line}`));
        else {
          const r = readRow(item.record, line, attributeColumns, s.clock.now());
          if (typeof r === "string") fail(line, r);
          else {
            // Every attribute name is an export column: past the workspace's limit, the row is refused.
            names ??= await withTenant(s.db, workspaceId, attributeNamesInUse);
            const overNames = namesProblem(names, Object.keys(r.attributes));
            if (overNames) fail(line, `${overNames.field}: ${overNames.message}`);
            else {
              for (const k of Object.keys(r.attributes)) names.add(k);
              if (inBatch.has(r.wa_id)) await flush(); // one statement may touch a contact once
              batch.push(r);
              inBatch.add(r.wa_id);
            }
          }
        }
        at(item.info.bytes, item.info.lines);
        if ((sliced = await flushWhenFull())) break rows;
      }
    }
    await flush();
    await before;
    await last;
    await announcing;
  } catch (err) {
    if (err instanceof Superseded) return "superseded";
    const csvProblem = err instanceof CsvHeaderError || String((err as { code?: unknown })?.code ?? "").startsWith("CSV_");
    // The database went away: the queue runs this stretch again, from the last commit.
    if (!csvProblem) throw err;
    // The parser counts lines from where this stretch began.
    fatal = (err as Error).message.replace(/line (\d+)/, (_, n: string) => `line ${Number(n) + row.linesDone}`);
    s.logger.warn("contact import stopped", { import_id: id, workspace_id: workspaceId, reason: fatal });
    try {
      await flush();
      await before;
      await last;
      await announcing;
    } catch (e) {
      if (e instanceof Superseded) return "superseded";
      throw e;
    }
  }
  if (sliced) {
    await s.queue.enqueueImport({ importId: id, workspaceId, from: done.bytes });
    return "continued";
  }
  const ended = await withTenant(s.db, workspaceId, async (tx) => {
    const [r] = await tx.update(contactImports).set({ status: fatal ? "failed" : "completed", error: fatal, finishedAt: s.clock.now(), updatedAt: s.clock.now() }).where(and(eq(contactImports.id, id), eq(contactImports.bytesDone, done.bytes), eq(contactImports.status, "running"))).returning({ id: contactImports.id });
    if (r) await tx.delete(contactImportChunks).where(eq(contactImportChunks.importId, id));
    return !!r;
  });
  if (!ended) return "superseded";
  return fatal ? "failed" : "completed";
}
