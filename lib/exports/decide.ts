import { eq } from "drizzle-orm";
import { dataExports } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Actor } from "../contacts/create.js";
import type { Services } from "../context.js";
import { enqueueProduction } from "./enqueue.js";
import { notPendingApproval } from "./errors.js";
import { exportRow } from "./list.js";
import { exportView, selfApproved } from "./view.js";

/**
 * An owner's decision on an export above the threshold (approvals:write, a person's
 * only: never a key's). Approved, it is queued to be produced; denied, it never is.
 * Decided once: a second decision is 409 export_not_pending. An owner may approve their
 * own (a single-owner workspace has no one else), but it shows: `self_approved` in the
 * export.approved audit row, and on /app/exports.
 */
export async function decideExport(s: Services, workspaceId: string, id: string, decision: "approve" | "deny", owner: { userId: string }, actor: Actor) {
  const row = await withTenant(s.db, workspaceId, async (tx) => {
    const before = await exportRow(tx, id, true);
    if (before.status !== "pending_approval") throw notPendingApproval(before.status);
    const status = decision === "approve" ? ("queued" as const) : ("denied" as const);
    const now = s.clock.now();
    const [r] = await tx.update(dataExports).set({ status, decidedBy: owner.userId, decidedAt: now, updatedAt: now }).where(eq(dataExports.id, id)).returning();
    await recordAudit(tx, { ...actor, workspaceId, action: decision === "approve" ? "export.approved" : "export.denied", objectType: "export", objectId: id, details: { kind: r!.subject, rows: r!.rowCount, requested_by: { type: r!.requesterType, id: r!.requesterId }, ...(decision === "approve" ? { self_approved: selfApproved(r!) } : {}) } });
    return r!;
  });
  if (row.status === "queued") await enqueueProduction(s, workspaceId, id);
  return exportView(row);
}
