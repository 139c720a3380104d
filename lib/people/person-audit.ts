import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";

export type PersonEvent = Omit<AuditEntry, "workspaceId" | "actorType">;

/**
 * A person's sign-in events (passkeys, Google identities) concern every workspace they
 * belong to (its owners answer for who can sign in as a member), so the audit row goes to
 * each, in the transaction of the change. The structured log gets the event too: for a person with no workspace yet,
 * or a failure that names nobody, it is the only record. Nothing secret is passed here.
 */
export async function recordPersonEvent(s: Services, tx: Tx | null, userId: string | null, e: PersonEvent): Promise<void> {
  const log = e.action.endsWith("_failed") ? s.logger.warn : s.logger.info;
  log(e.action, { user_id: userId, object_id: e.objectId ?? null, ip: e.ip ?? null, ...e.details });
  if (!tx || !userId) return;
  const rows = await tx.execute<{ workspace_id: string; current: string | null }>(
    sql`select workspace_id, current_setting('app.workspace_id', true) as current from sandesh_user_workspaces(${userId})`,
  );
  for (const { workspace_id } of rows) {
    await tx.execute(sql`select set_config('app.workspace_id', ${workspace_id}, true)`);
    await recordAudit(tx, { ...e, actorType: "user", actorId: e.actorId ?? userId, workspaceId: workspace_id });
  }
  // The transaction goes on in the workspace it was in (an invitation's acceptance), not the last one here.
  if (rows.length) await tx.execute(sql`select set_config('app.workspace_id', ${rows[0]!.current ?? ""}, true)`);
}
