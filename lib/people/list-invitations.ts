import { desc } from "drizzle-orm";
import { invitations } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import type { Role } from "./roles.js";

export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  createdAt: Date;
  expiresAt: Date;
  status: "pending" | "accepted" | "expired" | "revoked";
}

/** A workspace's invitations, newest first; the token is never among what is kept. */
export async function listInvitations(s: Services, workspaceId: string, limit = 100): Promise<InvitationView[]> {
  const now = s.clock.now().getTime();
  const rows = await withTenant(s.db, workspaceId, (tx) => tx.select().from(invitations).orderBy(desc(invitations.createdAt)).limit(limit));
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    role: r.role,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    status: r.acceptedAt ? "accepted" : r.revokedAt ? "revoked" : r.expiresAt.getTime() <= now ? "expired" : "pending",
  }));
}
