import { and, desc, eq, gte, lt, type SQL } from "drizzle-orm";
import { dataAccess } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { validationFailed } from "../errors.js";
import { isIsoTime, seqCursor } from "../seq-cursor.js";

/** GET /v1/access-log's query: every filter optional, all of them together narrow. */
export interface AccessQuery {
  actor?: string | undefined;
  route?: string | undefined;
  since?: string | undefined;
  cursor?: string | undefined;
  limit?: string | undefined;
}

type Row = typeof dataAccess.$inferSelect;

const view = (r: Row) => ({
  id: String(r.id),
  actor_type: r.actorType,
  actor_id: r.actorId,
  ip: r.ip,
  method: r.method,
  route: r.route,
  object_id: r.objectId,
  result_count: r.resultCount,
  status: r.status,
  at: r.at.toISOString(),
});
export type AccessView = ReturnType<typeof view>;

const MAX_FILTER = 300;
/** The cursor is the last row's id (insertion order, unique per workspace). */
const cursor = seqCursor("d");

/** The filters as SQL, or every problem at once (422 validation_failed). */
function filters(q: AccessQuery): { where: SQL[]; limit: number } {
  const errors: { field: string; message: string }[] = [];
  const where: SQL[] = [];
  for (const [field, col] of [["actor", dataAccess.actorId], ["route", dataAccess.route]] as const) {
    const v = q[field];
    if (v === undefined || v === "") continue;
    if (v.length > MAX_FILTER || v.includes("\u0000")) errors.push({ field, message: `must be at most ${MAX_FILTER} characters` });
    else where.push(eq(col, v));
  }
  if (q.since !== undefined && q.since !== "") {
    if (!isIsoTime(q.since)) errors.push({ field: "since", message: "must be an ISO 8601 date or time (e.g. 2026-12-01 or 2026-12-01T09:30:00Z)" });
    else where.push(gte(dataAccess.at, new Date(q.since)));
  }
  const limit = q.limit === undefined ? 50 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) errors.push({ field: "limit", message: "must be a whole number from 1 to 200" });
  if (q.cursor) {
    const id = cursor.decode(q.cursor);
    if (id === null) errors.push({ field: "cursor", message: "is invalid" });
    else where.push(lt(dataAccess.id, id));
  }
  if (errors.length) throw validationFailed(errors, "The access log query is not valid");
  return { where, limit };
}

/** GET /v1/access-log: newest first (by id), keyset-paginated. */
export async function listAccess(s: Services, workspaceId: string, q: AccessQuery) {
  const { where, limit } = filters(q);
  const rows = await withTenant(s.db, workspaceId, (tx) =>
    tx.select().from(dataAccess).where(and(...where)).orderBy(desc(dataAccess.id)).limit(limit + 1));
  const page = rows.slice(0, limit);
  return { data: page.map(view), next_cursor: rows.length > limit ? cursor.encode(page[page.length - 1]!.id!) : null };
}
