import { and, desc, gte, lt } from "drizzle-orm";
import { auditLog } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { csvLine } from "../contacts/csv.js";
import type { Services } from "../context.js";
import { listFilters, type ListFilterSpec } from "../list-filters.js";
import { seqCursor } from "../seq-cursor.js";

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

/** The cursor is the last row's seq (the chain's own order, unique per workspace). */
const auditCursor = seqCursor("a");

const FILTERS: ListFilterSpec = {
  exact: [["actor", auditLog.actorId], ["action", auditLog.action], ["object_type", auditLog.objectType], ["object_id", auditLog.objectId]],
  maxLength: 200,
  times: [["from", gte, auditLog.createdAt], ["to", lt, auditLog.createdAt]],
  cursor: { codec: auditCursor, column: auditLog.seq },
  invalid: "The audit log query is not valid",
};

/** GET /v1/audit-log: newest first (by seq), keyset-paginated. */
export async function listAudit(s: Services, workspaceId: string, q: AuditQuery) {
  const { where, limit } = listFilters(FILTERS, { ...q });
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
  const { where } = listFilters(FILTERS, { ...q, cursor: undefined }, false);
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
