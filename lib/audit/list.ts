import { and, desc, eq, gte, lt, type SQL } from "drizzle-orm";
import { auditLog } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { csvLine } from "../contacts/csv.js";
import type { Services } from "../context.js";
import { validationFailed } from "../errors.js";
import { isIsoTime, seqCursor } from "../seq-cursor.js";

/** GET /v1/audit-log's query: every filter optional, all of them together narrow. */
export interface AuditQuery {
  actor?: string | undefined;
  action?: string | undefined;
  object_type?: string | undefined;
  object_id?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit?: string | undefined;
}

type Row = typeof auditLog.$inferSelect;

const view = (r: Row) => ({
  seq: r.seq,
  actor_type: r.actorType,
  actor_id: r.actorId,
  action: r.action,
  object_type: r.objectType,
  object_id: r.objectId,
  ip: r.ip,
  user_agent: r.userAgent,
  details: r.details,
  created_at: r.createdAt.toISOString(),
  prev_hash: r.prevHash,
  hash: r.hash,
});
export type AuditView = ReturnType<typeof view>;

const MAX_FILTER = 200;
/** The cursor is the last row's seq (the chain's own order, unique per workspace). */
const auditCursor = seqCursor("a");

/** The filters as SQL, or every problem at once (422 validation_failed). */
function filters(q: AuditQuery, paged: boolean): { where: SQL[]; limit: number } {
  const errors: { field: string; message: string }[] = [];
  const where: SQL[] = [];
  for (const [field, col] of [["actor", auditLog.actorId], ["action", auditLog.action], ["object_type", auditLog.objectType], ["object_id", auditLog.objectId]] as const) {
    const v = q[field];
    if (v === undefined || v === "") continue;
    if (v.length > MAX_FILTER || v.includes("\u0000")) errors.push({ field, message: `must be at most ${MAX_FILTER} characters` });
    else where.push(eq(col, v));
  }
  for (const [field, op] of [["from", gte], ["to", lt]] as const) {
    const v = q[field];
    if (v === undefined || v === "") continue;
    if (!isIsoTime(v)) errors.push({ field, message: "must be an ISO 8601 date or time (e.g. 2026-12-01 or 2026-12-01T09:30:00Z)" });
    else where.push(op(auditLog.createdAt, new Date(v)));
  }
  const limit = q.limit === undefined || !paged ? 50 : Number(q.limit);
  if (paged && (!Number.isInteger(limit) || limit < 1 || limit > 200)) errors.push({ field: "limit", message: "must be a whole number from 1 to 200" });
  if (q.cursor) {
    const seq = auditCursor.decode(q.cursor);
    if (seq === null) errors.push({ field: "cursor", message: "is invalid" });
    else where.push(lt(auditLog.seq, seq));
  }
  if (errors.length) throw validationFailed(errors, "The audit log query is not valid");
  return { where, limit };
}

/** GET /v1/audit-log: newest first (by seq), keyset-paginated. */
export async function listAudit(s: Services, workspaceId: string, q: AuditQuery) {
  const { where, limit } = filters(q, true);
  const rows = await withTenant(s.db, workspaceId, (tx) =>
    tx.select().from(auditLog).where(and(...where)).orderBy(desc(auditLog.seq)).limit(limit + 1));
  const page = rows.slice(0, limit);
  return { data: page.map(view), next_cursor: rows.length > limit ? auditCursor.encode(page[page.length - 1]!.seq!) : null };
}

export type ExportFormat = "csv" | "ndjson";
/** The download's headers, the same from the API and the dashboard. */
export const exportHeaders = (format: ExportFormat): Record<string, string> => format === "csv"
  ? { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="audit-log.csv"' }
  : { "content-type": "application/x-ndjson; charset=utf-8", "content-disposition": 'attachment; filename="audit-log.jsonl"' };
const CSV_COLUMNS = ["seq", "created_at", "actor_type", "actor_id", "action", "object_type", "object_id", "ip", "user_agent", "details", "prev_hash", "hash"] as const;
const PAGE = 1000;

/**
 * The whole filtered log, newest first, streamed page by page (each page its own short
 * transaction): memory holds one page whatever the log's size. CSV (details as JSON in
 * one cell) or JSON Lines (one row per line, as the list's `data` items). The filters
 * are checked before the first byte, so a bad query is a 422, not a broken download.
 */
export function exportAudit(s: Services, workspaceId: string, q: AuditQuery, format: ExportFormat): ReadableStream<Uint8Array> {
  const { where } = filters({ ...q, cursor: undefined }, false);
  const encoder = new TextEncoder();
  let before: number | null = null;
  let headerSent = format !== "csv";
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(csvLine([...CSV_COLUMNS])));
        return;
      }
      const cursor = before;
      const rows = await withTenant(s.db, workspaceId, (tx) =>
        tx.select().from(auditLog).where(and(...where, ...(cursor === null ? [] : [lt(auditLog.seq, cursor)]))).orderBy(desc(auditLog.seq)).limit(PAGE));
      if (!rows.length) return controller.close();
      before = rows[rows.length - 1]!.seq!;
      let chunk = "";
      for (const r of rows) {
        const v = view(r);
        chunk += format === "ndjson"
          ? `${JSON.stringify(v)}\n`
          : csvLine(CSV_COLUMNS.map((k) => (k === "details" ? JSON.stringify(v.details) : v[k] === null ? "" : String(v[k]))));
      }
      controller.enqueue(encoder.encode(chunk));
      if (rows.length < PAGE) controller.close();
    },
  });
}
