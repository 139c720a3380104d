import { asc, eq, sql } from "drizzle-orm";
import { memberships, users } from "../../db/schema/index.js";
import { asApp, withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import type { Role } from "./roles.js";

export interface PersonWorkspace {
  workspaceId: string;
  workspaceName: string;
  role: Role;
  joinedAt: Date;
}

/** A signed-in person's workspaces, oldest membership first. */
export async function userWorkspaces(s: Services, userId: string): Promise<PersonWorkspace[]> {
  const rows = await asApp(s.db, (tx) =>
    tx.execute<{ workspace_id: string; workspace_name: string; role: Role; joined_at: string }>(sql`select * from sandesh_user_workspaces(${userId})`),
  );
  return rows.map((r) => ({ workspaceId: r.workspace_id, workspaceName: r.workspace_name, role: r.role, joinedAt: new Date(r.joined_at) }));
}

export interface MemberView {
  userId: string;
  email: string;
  displayName: string | null;
  role: Role;
  joinedAt: Date;
}

/** A workspace's members (users rows are visible to fellow members, db 0019). */
export async function listMembers(s: Services, workspaceId: string): Promise<MemberView[]> {
  const rows = await withTenant(s.db, workspaceId, (tx) =>
    tx
      .select({ userId: memberships.userId, email: users.email, displayName: users.displayName, role: memberships.role, joinedAt: memberships.createdAt })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .orderBy(asc(memberships.createdAt), asc(users.email)),
  );
  return rows;
}
