import type { Context } from "hono";
import { AppError, notFound } from "../../../lib/errors.js";
import { UUID_PATTERN } from "../../../lib/ids.js";
import { createInvitation } from "../../../lib/people/invite.js";
import { revokeInvitation } from "../../../lib/people/revoke-invitation.js";
import { canManageMembers } from "../../../lib/people/roles.js";
import { admitAttempt } from "../../../lib/sessions/attempts.js";
import type { AppEnv } from "../../env.js";
import { actionDone, actionFields, isForm } from "../answer.js";
import { sessionActor, sessionOf } from "../middleware/session.js";
import { invitationCreatedPage } from "./invitation-created.js";

/** Owners and admins of the session's workspace only (lib/permissions will take this over). */
function managedWorkspace(c: Context<AppEnv>): string {
  const s = sessionOf(c);
  if (!s.workspaceId || !canManageMembers(s.role)) throw new AppError(403, "forbidden", "Only owners and admins can manage members");
  return s.workspaceId;
}

/**
 * POST /app/members/invitations {email, role}: a one-time link for the email, shown in
 * this answer only (JSON 201, or the page for a form post). The same answer whether or
 * not the email already has an account. Rate-limited per address and per inviter.
 */
export async function inviteMemberRoute(c: Context<AppEnv>) {
  const s = sessionOf(c);
  const workspaceId = managedWorkspace(c);
  await admitAttempt(c.env.services, "invite", c.env.ip, s.userId);
  const f = await actionFields(c);
  const inv = await createInvitation(c.env.services, { workspaceId, email: f.email, role: f.role, inviterRole: s.role }, sessionActor(c));
  if (isForm(c)) return invitationCreatedPage(c, inv);
  return c.json({ id: inv.id, email: inv.email, role: inv.role, expires_at: inv.expiresAt.toISOString(), link: inv.link }, 201);
}

/** POST /app/members/invitations/:id/revoke: the link is refused from now on. */
export async function revokeInvitationRoute(c: Context<AppEnv>) {
  const workspaceId = managedWorkspace(c);
  const id = c.req.param("id") ?? "";
  if (!UUID_PATTERN.test(id)) throw notFound("Invitation");
  const r = await revokeInvitation(c.env.services, workspaceId, id, sessionActor(c));
  return actionDone(c, "/app/members", { id, revoked: true, changed: r.changed });
}
