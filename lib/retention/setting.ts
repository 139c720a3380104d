import { eq } from "drizzle-orm";
import * as v from "valibot";
import { workspaces } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Actor } from "../contacts/create.js";
import type { Services } from "../context.js";

/** PUT /v1/workspace/retention: whole days (1 to 36,500), or null to keep content. */
export const RetentionInput = v.strictObject({ message_retention_days: v.nullable(v.pipe(v.number(), v.integer("must be a whole number of days"), v.minValue(1), v.maxValue(36_500))) });

export async function getRetention(s: Services, workspaceId: string) {
  const [row] = await withTenant(s.db, workspaceId, (tx) => tx.select({ days: workspaces.messageRetentionDays }).from(workspaces).where(eq(workspaces.id, workspaceId)));
  return { message_retention_days: row?.days ?? null };
}

export async function setRetention(s: Services, workspaceId: string, days: number | null, actor: Actor) {
  return withTenant(s.db, workspaceId, async (tx) => {
    const [before] = await tx.select({ days: workspaces.messageRetentionDays }).from(workspaces).where(eq(workspaces.id, workspaceId)).for("update");
    await tx.update(workspaces).set({ messageRetentionDays: days }).where(eq(workspaces.id, workspaceId));
    await recordAudit(tx, { ...actor, workspaceId, action: "workspace.retention_set", objectType: "workspace", objectId: workspaceId, details: { before: before?.days ?? null, after: days } });
    return { message_retention_days: days };
  });
}
