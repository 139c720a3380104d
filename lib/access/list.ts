import { and, desc, gte } from "drizzle-orm";
import { dataAccess } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { listFilters, type ListFilterSpec } from "../list-filters.js";
import { seqCursor } from "../seq-cursor.js";

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

/** The cursor is the last row's id (insertion order, unique per workspace). */
const cursor = seqCursor("d");

const FILTERS: ListFilterSpec = {
  exact: [["actor", dataAccess.actorId], ["route", dataAccess.route]],
  maxLength: 300,
  times: [["since", gte, dataAccess.at]],
  cursor: { codec: cursor, column: dataAccess.id },
  invalid: "The access log query is not valid",
};

/** GET /v1/access-log: newest first (by id), keyset-paginated. */
export async function listAccess(s: Services, workspaceId: string, q: AccessQuery) {
  const { where, limit } = listFilters(FILTERS, { ...q });
  const rows = await withTenant(s.db, workspaceId, (tx) =>
    tx.select().from(dataAccess).where(and(...where)).orderBy(desc(dataAccess.id)).limit(limit + 1));
  const page = rows.slice(0, limit);
  return { data: page.map(view), next_cursor: rows.length > limit ? cursor.encode(page[page.length - 1]!.id!) : null };
}
