import { eq } from "drizzle-orm";
import * as v from "valibot";
import type { Tx } from "../../db/client.js";
import { workspaces } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Actor } from "../contacts/create.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";

export const DEFAULT_EXPORT_APPROVAL_THRESHOLD = 1000;

/** PUT /v1/workspace/export-approval: exports of more rows than this need an owner's approval (0: every export). */
export const ThresholdInput = v.strictObject({
  export_approval_threshold: v.pipe(v.number(), v.integer("must be a whole number of rows"), v.minValue(0), v.maxValue(100_000_000)),
});

/** Whether an export of `rows` waits for an owner: more rows than the threshold, or any export at all under a threshold of 0. */
export const needsApproval = (rows: number, threshold: number): boolean => rows > threshold || threshold === 0;

/** The workspace's threshold, read inside the caller's transaction. */
export async function thresholdIn(tx: Tx, workspaceId: string): Promise<number> {
  const [row] = await tx.select({ n: workspaces.exportApprovalThreshold }).from(workspaces).where(eq(workspaces.id, workspaceId));
  return row?.n ?? DEFAULT_EXPORT_APPROVAL_THRESHOLD;
}

export async function getThreshold(s: Services, workspaceId: string) {
  return { export_approval_threshold: await withTenant(s.db, workspaceId, (tx) => thresholdIn(tx, workspaceId)) };
}

/** Whether `after` lets through, without an owner, an export `before` held back (0 holds back every export). */
export const raisesThreshold = (before: number, after: number): boolean => after > before;

export const thresholdRaiseNeedsOwner = (before: number) =>
  new AppError(403, "forbidden", `Raising the export-approval threshold (now ${before}) takes an owner of the workspace, on the dashboard's Exports page; a key may lower it`, { missing: ["approvals:write"] });

/**
 * Sets the threshold. Raising it lets exports through that an owner would have had to
 * approve, so only an owner may (`mayRaise`: approvals:write, a person's only, never a
 * key's); lowering it, or setting it again, takes settings:write. A refused raise changes
 * nothing and records nothing.
 */
export async function setThreshold(s: Services, workspaceId: string, threshold: number, actor: Actor, mayRaise: boolean) {
  return withTenant(s.db, workspaceId, async (tx) => {
    const [before] = await tx.select({ n: workspaces.exportApprovalThreshold }).from(workspaces).where(eq(workspaces.id, workspaceId)).for("update");
    const current = before?.n ?? DEFAULT_EXPORT_APPROVAL_THRESHOLD;
    if (!mayRaise && raisesThreshold(current, threshold)) throw thresholdRaiseNeedsOwner(current);
    await tx.update(workspaces).set({ exportApprovalThreshold: threshold }).where(eq(workspaces.id, workspaceId));
    await recordAudit(tx, { ...actor, workspaceId, action: "workspace.export_approval_threshold_set", objectType: "workspace", objectId: workspaceId, details: { before: before?.n ?? null, after: threshold } });
    return { export_approval_threshold: threshold };
  });
}
