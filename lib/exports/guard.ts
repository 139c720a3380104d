import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { countRows } from "./count.js";
import { exportApprovalRequired } from "./errors.js";
import { needsApproval, thresholdIn } from "./threshold.js";

/**
 * The streamed GET /v1/contacts/export: the whole book, at or below the threshold only;
 * above it, 403 pointing to POST /v1/exports. Returns the rows counted: the stream holds
 * no more, however the book grows while it is read.
 */
export async function ensureWithinThreshold(s: Services, workspaceId: string): Promise<number> {
  const { rows, threshold } = await withTenant(s.db, workspaceId, async (tx) => ({ rows: await countRows(tx, "contacts", {}), threshold: await thresholdIn(tx, workspaceId) }));
  if (needsApproval(rows, threshold)) throw exportApprovalRequired(rows, threshold);
  return rows;
}
