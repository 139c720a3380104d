import { and, eq, gt, isNull } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { invitations, memberships, users } from "../../db/schema/index.js";
import { asApp, switchTenant, switchUser } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { normalizeEmail } from "./email.js";
import { findInvitation, invitationInvalid } from "./find-invitation.js";
import type { Role } from "./roles.js";
import { findUserIdByEmail } from "./users.js";

const needsSignIn = () =>
  new AppError(409, "invitation_needs_sign_in", "This email address already has an account: sign in with it, then accept the invitation");

/** What the invitee proved while accepting. */
export interface InviteeFacts {
  /**
   * An email asserted by an identity provider (Google): it must equal the invitation's
   * and be verified, or the invitation is refused. Omitted when the link itself is the
   * proof (registering a passkey on the invitation page).
   */
  email?: string;
  emailVerified?: boolean;
  /**
   * The person is already signed in (a session, or a passkey sign-in verified just now)
   * as this user: their email must be the invitation's.
   */
  userId?: string;
  displayName?: string;
  /** The id to give the person if they have no account yet (a passkey's user handle chosen before). */
  newUserId?: string;
  ip?: string | null;
  userAgent?: string | null;
}

export interface AcceptedInvitation {
  invitationId: string;
  userId: string;
  email: string;
  workspaceId: string;
  /** The member's role now: the invitation's, or the one they already had. */
  role: Role;
  userCreated: boolean;
}

/**
 * Accepts an invitation link: the person (created if new) becomes a member, the
 * invitation is used up; all in one transaction, which `within` joins (a passkey
 * registered during acceptance is stored there, so nothing is half-written). The
 * transaction is scoped to both the person (app.user_id) and the workspace.
 * Single use: the conditional update lets exactly one of two racing accepts through.
 * The caller then signs the person in with createSession (lib/sessions).
 *
 * The link alone (no `email`, no `userId`) proves nothing about an existing account: it
 * is accepted only while no account has the invitation's email. Otherwise whoever holds
 * a link made out to someone's address (the inviting admin included) could take over
 * that person's account in every workspace; they must sign in first (409
 * invitation_needs_sign_in). This tells the link's holder that the address has an
 * account, and nobody else; creating an invitation never does.
 */
export async function acceptInvitation(
  s: Services,
  token: string,
  facts: InviteeFacts = {},
  within?: (tx: Tx, accepted: AcceptedInvitation) => Promise<void>,
): Promise<AcceptedInvitation> {
  const inv = await findInvitation(s, token);
  if (facts.email !== undefined && (facts.emailVerified !== true || normalizeEmail(facts.email) !== inv.email)) {
    throw new AppError(403, "invitation_email_mismatch", "This invitation is for another email address, or the address is not verified");
  }
  const existing = await findUserIdByEmail(s, inv.email);
  if (existing?.disabled) throw invitationInvalid();
  if (facts.userId !== undefined && facts.userId !== existing?.userId) {
    throw new AppError(403, "invitation_email_mismatch", "This invitation is for another email address than the one you are signed in with");
  }
  // The link alone for an address with an account. Most often, when racing, the account
  // was just made by the winning acceptance of this very link: then say the link is used.
  const unproven = async (): Promise<never> => {
    await findInvitation(s, token);
    throw needsSignIn();
  };
  if (existing && facts.userId === undefined && facts.email === undefined) await unproven();
  const now = s.clock.now();

  return asApp(s.db, async (tx) => {
    let userId = existing?.userId ?? facts.newUserId ?? crypto.randomUUID();
    let userCreated = false;
    await switchUser(tx, userId);
    await switchTenant(tx, inv.workspaceId);
    if (!existing) {
      const made = await tx
        .insert(users)
        .values({ id: userId, email: inv.email, displayName: facts.displayName?.slice(0, 200) ?? null, createdAt: now })
        .onConflictDoNothing({ target: users.email })
        .returning({ id: users.id });
      if (made[0]) userCreated = true;
      else {
        // Created meanwhile (another invitation for the same email accepted): the link
        // alone does not prove this account, an identity provider's verified email does.
        const again = await findUserIdByEmail(s, inv.email, tx);
        if (!again || again.disabled) throw invitationInvalid();
        if (facts.email === undefined) await unproven();
        userId = again.userId;
        await switchUser(tx, userId);
      }
    }
    const used = await tx
      .update(invitations)
      .set({ acceptedAt: now, acceptedBy: userId })
      .where(and(eq(invitations.id, inv.invitationId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
      .returning({ id: invitations.id });
    if (!used[0]) throw invitationInvalid();
    await tx.insert(memberships).values({ workspaceId: inv.workspaceId, userId, role: inv.role, createdAt: now, updatedAt: now }).onConflictDoNothing();
    const [m] = await tx.select({ role: memberships.role }).from(memberships).where(eq(memberships.userId, userId));
    const accepted: AcceptedInvitation = { invitationId: inv.invitationId, userId, email: inv.email, workspaceId: inv.workspaceId, role: m!.role, userCreated };
    await recordAudit(tx, {
      workspaceId: inv.workspaceId,
      actorType: "user",
      actorId: userId,
      action: "invitation.accepted",
      objectType: "invitation",
      objectId: inv.invitationId,
      ip: facts.ip ?? null,
      userAgent: facts.userAgent ?? null,
      details: { email: inv.email, role: accepted.role, user_created: userCreated },
    });
    if (within) await within(tx, accepted);
    return accepted;
  });
}

