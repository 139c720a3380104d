import { and, desc, eq, type SQL } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { dataExports, type ExportStatus } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { decodeCursor, encodeCursor, olderThan } from "../cursor.js";
import { notFound, validationFailed } from "../errors.js";
import { UUID_PATTERN } from "../ids.js";
import { exportView } from "./view.js";

const STATUSES: readonly ExportStatus[] = ["pending_approval", "queued", "producing", "ready", "downloaded", "expired", "denied", "failed"];

/** The export, locked for the caller's change; another workspace's (or no such) id is a 404. */
export async function exportRow(tx: Tx, id: string, lock = false) {
  if (!UUID_PATTERN.test(id)) throw notFound("Export");
  const q = tx.select().from(dataExports).where(eq(dataExports.id, id));
  const [row] = lock ? await q.for("update") : await q;
  if (!row) throw notFound("Export");
  return row;
}

export const getExport = async (s: Services, workspaceId: string, id: string) => exportView(await withTenant(s.db, workspaceId, (tx) => exportRow(tx, id)));

/** GET /v1/exports?status=&cursor=&limit=: the workspace's exports, newest first (never their content). */
export async function listExports(s: Services, workspaceId: string, q: { status?: string | undefined; cursor?: string | undefined; limit?: string | undefined }) {
  const limit = q.limit === undefined ? 50 : Number(q.limit);
  const errors = [];
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) errors.push({ field: "limit", message: "must be a whole number from 1 to 200" });
  if (q.status !== undefined && !(STATUSES as readonly string[]).includes(q.status)) errors.push({ field: "status", message: `must be one of ${STATUSES.join(", ")}` });
  if (errors.length) throw validationFailed(errors, "The query is not valid");
  const where: SQL[] = [];
  if (q.status) where.push(eq(dataExports.status, q.status as ExportStatus));
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    where.push(olderThan(dataExports.createdAt, dataExports.id, c));
  }
  const rows = await withTenant(s.db, workspaceId, (tx) => tx.select().from(dataExports).where(where.length ? and(...where) : undefined).orderBy(desc(dataExports.createdAt), desc(dataExports.id)).limit(limit + 1));
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { data: page.map(exportView), next_cursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
}
