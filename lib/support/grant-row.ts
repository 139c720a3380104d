import { eq, getTableColumns, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { supportGrants } from "../../db/schema/index.js";
import { notFound } from "../errors.js";
import { UUID_PATTERN } from "../ids.js";
import { PENDING_HOURS } from "./limits.js";

/**
 * The grant, locked for the rest of the caller's tenant transaction; another workspace's id
 * is a 404. `lapsed`: still pending, and asked for PENDING_HOURS ago or more by the
 * database's clock (no longer approvable).
 */
export async function lockGrant(tx: Tx, id: string) {
  if (!UUID_PATTERN.test(id)) throw notFound("Support grant");
  const [row] = await tx
    .select({ ...getTableColumns(supportGrants), lapsed: sql<boolean>`${supportGrants.status} = 'pending' and ${supportGrants.requestedAt} <= now() - make_interval(hours => ${PENDING_HOURS})` })
    .from(supportGrants).where(eq(supportGrants.id, id)).for("update");
  if (!row) throw notFound("Support grant");
  return row;
}
