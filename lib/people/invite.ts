import { invitations } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import type { PersonActor } from "./actor.js";
import { normalizeEmail } from "./email.js";
import { canGrantRole, isRole, type Role } from "./roles.js";
import { hashToken, randomToken } from "./tokens.js";

export const INVITATION_TTL_MS = 72 * 3600 * 1000;
export const INVITATION_PREFIX = "inv_";
export const invitationLink = (publicUrl: string, token: string) => `${publicUrl}/app/invite/${token}`;

export interface CreatedInvitation {
  id: string;
  workspaceId: string;
  email: string;
  role: Role;
  expiresAt: Date;
  /** The only time the token exists outside the invitee's hands: show it once, never log it. */
  token: string;
  link: string;
}

export interface InviteInput {
  workspaceId: string;
  email: unknown;
  role: unknown;
  /**
   * The inviting member's role; omitted for an operator at the CLI, who may invite anyone.
   * Owners invite any role, admins any role but owner.
   */
  inviterRole?: Role | null;
}

/**
 * A one-time link to join a workspace: a random token (only its SHA-256 stored), valid
 * 72 hours, used once. The answer is the same whether or not the email already has an
 * account: nothing here looks the person up.
 */
export async function createInvitation(s: Services, input: InviteInput, actor: PersonActor): Promise<CreatedInvitation> {
  const email = normalizeEmail(input.email);
  if (!isRole(input.role)) throw new AppError(422, "validation_failed", "role must be owner, admin, agent or viewer", { field: "role" });
  const role = input.role;
  if (actor.actorType === "user" && !canGrantRole(input.inviterRole, role)) {
    throw new AppError(403, "forbidden", input.inviterRole === "admin" ? "Only an owner can invite an owner" : "Only owners and admins can invite members");
  }
  const token = randomToken(INVITATION_PREFIX);
  const now = s.clock.now();
  const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
  return withTenant(s.db, input.workspaceId, async (tx) => {
    const [row] = await tx
      .insert(invitations)
      .values({ workspaceId: input.workspaceId, email, role, tokenHash: await hashToken(token), invitedBy: actor.actorType === "user" ? (actor.actorId ?? null) : null, createdAt: now, expiresAt })
      .returning({ id: invitations.id });
    await recordAudit(tx, { ...actor, workspaceId: input.workspaceId, action: "invitation.created", objectType: "invitation", objectId: row!.id, details: { email, role, expires_at: expiresAt.toISOString() } });
    return { id: row!.id, workspaceId: input.workspaceId, email, role, expiresAt, token, link: invitationLink(s.config.publicUrl, token) };
  });
}
