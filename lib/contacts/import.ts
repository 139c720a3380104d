import { eq, sql } from "drizzle-orm";
import { contactImports } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { uuidv7 } from "../ids.js";
import { attributeNamesInUse, namesProblem } from "./attribute-names.js";
import type { Actor } from "./create.js";
import { csvRecords } from "./csv-records.js";
import { CsvHeaderError, readHeader, readRow, type ImportRow } from "./csv.js";
import { applyBatch } from "./import-batch.js";
import { getImport } from "./import-read.js";

export const IMPORT_BATCH_ROWS = 1000;
export const MAX_IMPORT_ROWS = 1_000_000;
/** Errors kept with their line; the count covers them all. */
export const MAX_STORED_ERRORS = 1000;
/** A longer row is an import failure: an unterminated quoted field would otherwise buffer up to the body limit. */
export const MAX_RECORD_BYTES = 64 * 1024;

interface Progress {
  rowsRead: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  storedErrors: number;
}

/**
 * POST /v1/contacts/imports: the CSV is parsed as it streams in (csv-parse over the
 * request's Web stream, in Node and in the Worker alike) and written 1,000 rows per
 * transaction, each with its progress and its rows' errors, so GET shows progress
 * while it runs and memory holds one batch, never the file. The answer comes when the
 * body has been read and written; a row that cannot be stored is reported by line and
 * the rest imported.
 */
export async function importContacts(s: Services, workspaceId: string, body: ReadableStream<Uint8Array> | null, actor: Actor) {
  if (!body) throw new AppError(400, "empty_body", "Send the CSV as the request body (Content-Type: text/csv)");
  const id = uuidv7(s.clock.now().getTime());
  const actorId = actor.actorId ?? null;
  await withTenant(s.db, workspaceId, async (tx) => {
    await tx.insert(contactImports).values({ id, workspaceId, status: "running", actorType: actor.actorType, actorId });
    await recordAudit(tx, { ...actor, workspaceId, action: "contacts.import_started", objectType: "contact_import", objectId: id });
  });

  const p: Progress = { rowsRead: 0, created: 0, updated: 0, unchanged: 0, failed: 0, storedErrors: 0 };
  let batch: ImportRow[] = [];
  let inBatch = new Set<string>();
  // Failed rows are counted; only the first MAX_STORED_ERRORS are kept, with their line.
  let errors: { line: number; message: string }[] = [];
  let failedPending = 0;
  let kept = 0;
  const fail = (line: number, message: string) => {
    failedPending++;
    if (kept >= MAX_STORED_ERRORS) return;
    errors.push({ line, message });
    kept++;
  };
  const tooMany = `the CSV has more than ${MAX_IMPORT_ROWS.toLocaleString("en")} rows: the first ${MAX_IMPORT_ROWS.toLocaleString("en")} were imported`;

  // One batch is written while the next is parsed: at most two batches in memory, and
  // batches still commit in order (each waits for the one before it).
  let inflight: Promise<void> = Promise.resolve();
  const flush = async () => {
    await inflight;
    if (!batch.length && !failedPending) return;
    const rows = batch;
    const errs = errors.slice(0, Math.max(0, MAX_STORED_ERRORS - p.storedErrors));
    const failedNow = failedPending;
    const readNow = p.rowsRead;
    batch = [];
    inBatch = new Set();
    errors = [];
    failedPending = 0;
    const now = s.clock.now();
    inflight = withTenant(s.db, workspaceId, async (tx) => {
      const r = rows.length ? await applyBatch(tx, { workspaceId, importId: id, now, actorType: actor.actorType, actorId }, rows) : { created: 0, updated: 0, unchanged: 0 };
      p.created += r.created;
      p.updated += r.updated;
      p.unchanged += r.unchanged;
      p.failed += failedNow;
      if (errs.length) {
        await tx.execute(sql`insert into contact_import_errors (workspace_id, import_id, line, message)
          select ${workspaceId}, ${id}, e.line, e.message from jsonb_to_recordset(${JSON.stringify(errs)}::jsonb) as e(line int, message text)
          on conflict do nothing`);
        p.storedErrors += errs.length;
      }
      await tx.update(contactImports).set({ rowsRead: readNow, created: p.created, updated: p.updated, unchanged: p.unchanged, failed: p.failed }).where(eq(contactImports.id, id));
    });
    // A failed batch stops the import at the next flush (or at the end).
    inflight.catch(() => {});
  };
  const drain = async () => {
    await flush();
    await inflight;
  };

  let attributeColumns: string[] | null = null;
  let names: Set<string> | null = null;
  let fatal: string | null = null;
  const options = {
    columns: (header: string[]) => {
      const names = header.map((h) => h.trim().toLowerCase());
      attributeColumns = readHeader(names);
      return names;
    },
    bom: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
    skip_records_with_error: true,
    // A skipped row is counted as it is parsed and kept only within the stored-errors budget;
    // throwing here stops the parser (the import ends failed with the message).
    on_skip: (err: { code?: string; lines?: number; message: string } | undefined) => {
      if (!err) return undefined;
      if (err.code === "CSV_MAX_RECORD_SIZE") throw Object.assign(new Error(`line ${err.lines ?? 0}: a row is longer than ${MAX_RECORD_BYTES / 1024} KiB (an unterminated quoted field?)`), { code: "CSV_MAX_RECORD_SIZE" });
      if (p.rowsRead >= MAX_IMPORT_ROWS) throw Object.assign(new Error(tooMany), { code: "CSV_TOO_MANY_ROWS" });
      p.rowsRead++;
      fail(err.lines ?? 0, err.message);
      return undefined;
    },
  };
  try {
    rows: for await (const items of csvRecords(body, options)) {
      for (const item of items) {
        if (p.rowsRead >= MAX_IMPORT_ROWS) {
          fatal = tooMany;
          break rows;
        }
        p.rowsRead++;
        const row = readRow(item.record, item.info.lines, attributeColumns!, s.clock.now());
        if (typeof row === "string") fail(item.info.lines, row);
        else {
          // Every attribute name is an export column: past the workspace's limit, the row is refused.
          names ??= await withTenant(s.db, workspaceId, attributeNamesInUse);
          const overNames = namesProblem(names, Object.keys(row.attributes));
          if (overNames) fail(row.line, `${overNames.field}: ${overNames.message}`);
          else {
            for (const k of Object.keys(row.attributes)) names.add(k);
            if (inBatch.has(row.wa_id)) await flush(); // one statement may touch a contact once
            batch.push(row);
            inBatch.add(row.wa_id);
          }
        }
        if (batch.length >= IMPORT_BATCH_ROWS || failedPending >= IMPORT_BATCH_ROWS) await flush();
      }
      if (failedPending >= IMPORT_BATCH_ROWS) await flush();
    }
    await drain();
  } catch (err) {
    if (err instanceof AppError) {
      // The body went past its limit while streaming (413): what was committed stays.
      await withTenant(s.db, workspaceId, (tx) => tx.update(contactImports).set({ status: "failed", error: err.message, finishedAt: s.clock.now() }).where(eq(contactImports.id, id))).catch(() => {});
      throw err;
    }
    const csvProblem = err instanceof CsvHeaderError || String((err as { code?: unknown })?.code ?? "").startsWith("CSV_");
    if (!csvProblem) {
      // The database went away mid-import: what was committed stays, the rest is not done.
      s.logger.error("contact import failed", { import_id: id, workspace_id: workspaceId, error: err });
      await withTenant(s.db, workspaceId, (tx) =>
        tx.update(contactImports).set({ status: "failed", error: "interrupted: a database error; import the file again to finish it (rows already imported are unchanged)", finishedAt: s.clock.now() }).where(eq(contactImports.id, id)),
      ).catch(() => {});
      throw new AppError(503, "temporarily_unavailable", "The import was interrupted; import the same file again to finish it", { id }, { "Retry-After": "5" });
    }
    // A header we cannot use, or a CSV the parser cannot go on with: what was written stays.
    fatal = (err as Error).message;
    s.logger.warn("contact import stopped", { import_id: id, workspace_id: workspaceId, reason: fatal });
    await drain();
  }
  await withTenant(s.db, workspaceId, (tx) =>
    tx.update(contactImports).set({ status: fatal ? "failed" : "completed", error: fatal, finishedAt: s.clock.now() }).where(eq(contactImports.id, id)),
  );
  // Nothing could be read at all (no wa_id column, not CSV): the request itself is wrong.
  if (fatal && p.rowsRead === 0) throw new AppError(422, "csv_invalid", `The CSV cannot be imported: ${fatal}`, { id });
  return getImport(s, workspaceId, id);
}
