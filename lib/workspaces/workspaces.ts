import { eq } from "drizzle-orm";
import { workspaces } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { notFound } from "../errors.js";

export interface WorkspaceView {
  id: string;
  name: string;
  created_at: string;
}

const view = (w: typeof workspaces.$inferSelect): WorkspaceView => ({ id: w.id, name: w.name, created_at: w.createdAt.toISOString() });

/** The new workspace is its own tenant from its first row: RLS lets a transaction insert only the workspace it is scoped to. */
export async function createWorkspace(s: Services, name: string): Promise<WorkspaceView> {
  const id = crypto.randomUUID();
  return withTenant(s.db, id, async (tx) => {
    const [row] = await tx.insert(workspaces).values({ id, name }).returning();
    await recordAudit(tx, { workspaceId: id, actorType: "operator", action: "workspace.created", objectType: "workspace", objectId: id, details: { name } });
    return view(row!);
  });
}

export async function getWorkspace(s: Services, workspaceId: string): Promise<WorkspaceView> {
  const [row] = await withTenant(s.db, workspaceId, (tx) => tx.select().from(workspaces).where(eq(workspaces.id, workspaceId)));
  if (!row) throw notFound("Workspace");
  return view(row);
}

/** The workspace's settings (limits, keywords, timezone…), as stored. */
export async function getWorkspaceSettings(s: Services, workspaceId: string): Promise<Record<string, unknown>> {
  const [row] = await withTenant(s.db, workspaceId, (tx) => tx.select({ settings: workspaces.settings }).from(workspaces).where(eq(workspaces.id, workspaceId)));
  if (!row) throw notFound("Workspace");
  return row.settings;
}

/** Whether the workspace requires a second factor of every member (lib/factors/require-mfa.ts sets it). */
export async function workspaceRequiresMfa(s: Services, workspaceId: string): Promise<boolean> {
  const [row] = await withTenant(s.db, workspaceId, (tx) => tx.select({ requireMfa: workspaces.requireMfa }).from(workspaces).where(eq(workspaces.id, workspaceId)));
  if (!row) throw notFound("Workspace");
  return row.requireMfa;
}
