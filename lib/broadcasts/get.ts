import { desc, eq, lt } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { broadcasts } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { notFound, validationFailed } from "../errors.js";
import { UUID_PATTERN } from "../ids.js";
import { broadcastCounts } from "./counts.js";
import { broadcastView } from "./schema.js";

/** The broadcast under the tenant's scope; another workspace's id is a 404, never a 403. */
export async function loadBroadcast(tx: Tx, id: string, lock = false) {
  if (!UUID_PATTERN.test(id)) throw notFound("Broadcast");
  const q = tx.select().from(broadcasts).where(eq(broadcasts.id, id));
  const [b] = lock ? await q.for("update") : await q;
  if (!b) throw notFound("Broadcast");
  return b;
}

/** GET /v1/broadcasts/{id}: the broadcast and its live counts. */
export async function getBroadcast(s: Services, workspaceId: string, id: string) {
  if (!UUID_PATTERN.test(id)) throw notFound("Broadcast");
  return withTenant(s.db, workspaceId, async (tx) => {
    const b = await loadBroadcast(tx, id);
    return { ...broadcastView(b), counts: await broadcastCounts(tx, id) };
  });
}

/** GET /v1/broadcasts?cursor=&limit=: newest first (ids are time-ordered). */
export async function listBroadcasts(s: Services, workspaceId: string, q: { cursor?: string | undefined; limit?: string | undefined }) {
  const limit = q.limit === undefined ? 50 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw validationFailed([{ field: "limit", message: "must be a whole number from 1 to 100" }]);
  if (q.cursor !== undefined && !UUID_PATTERN.test(q.cursor)) throw validationFailed([{ field: "cursor", message: "is invalid" }]);
  const rows = await withTenant(s.db, workspaceId, (tx) =>
    tx.select().from(broadcasts).where(q.cursor ? lt(broadcasts.id, q.cursor) : undefined).orderBy(desc(broadcasts.id)).limit(limit + 1),
  );
  const page = rows.slice(0, limit);
  return { data: page.map(broadcastView), next_cursor: rows.length > limit ? page.at(-1)!.id : null };
}
