import { eq } from "drizzle-orm";
import { userIdentities } from "../../db/schema/index.js";
import { asApp, switchTenant, withUser } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { recordPersonEvent } from "../people/person-audit.js";
import { acceptInvitation } from "../people/accept.js";
import { findInvitation } from "../people/find-invitation.js";
import { recordFailedAttempt } from "../sessions/attempts.js";
import { createSession, type CreatedSession } from "../sessions/create.js";
import type { FlowPurpose } from "./flow.js";
import { findIdentity, linkIdentity } from "./identities.js";
import { OidcRefusal } from "./refusal.js";
import type { VerifiedIdentity } from "./verify.js";

export interface RequestFacts {
  ip?: string | null;
  userAgent?: string | null;
}

export type GoogleOutcome =
  | { kind: "signed_in"; created: CreatedSession }
  | { kind: "invitation_accepted"; created: CreatedSession; workspaceId: string }
  | { kind: "linked"; userId: string };

/**
 * What a verified Google account may do, by what the attempt was for:
 * - sign-in: only an account already linked (issuer + sub) signs in. A Google account
 *   whose verified email equals a user's is NOT linked on the spot: an email is not an
 *   account (a recycled address, a domain that changed hands, a Workspace admin able
 *   to mint any address would all sign in as that user). It is refused like an unknown one.
 * - invitation: the verified email must be the invitation's; the person (created if
 *   new) becomes a member and the Google account is linked, in one transaction.
 * - link: a signed-in person adds the account from their own session.
 * Sign-in and acceptance end in createSession (a new session, method google).
 */
export async function completeGoogle(s: Services, identity: VerifiedIdentity, purpose: FlowPurpose, facts: RequestFacts, currentSessionId?: string | null): Promise<GoogleOutcome> {
  try {
    if (purpose.kind === "sign-in") return await signIn(s, identity, facts);
    if (purpose.kind === "invitation") return await acceptWithGoogle(s, identity, purpose.token, facts);
    return await link(s, identity, purpose, facts, currentSessionId);
  } catch (err) {
    if (err instanceof OidcRefusal) {
      err.purpose = purpose.kind;
      if (purpose.kind === "link") err.userId = purpose.userId;
    }
    throw err;
  }
}

async function link(s: Services, identity: VerifiedIdentity, purpose: { userId: string; sessionId: string }, facts: RequestFacts, currentSessionId: string | null | undefined): Promise<GoogleOutcome> {
  // The session that started the link must still be the one the browser holds (not revoked, not another sign-in since).
  if (currentSessionId !== purpose.sessionId) throw new OidcRefusal("flow_binding", "the session that started the link is gone");
  await withUser(s.db, purpose.userId, async (tx) => {
    const linked = await linkIdentity(tx, s, purpose.userId, identity);
    await recordPersonEvent(s, tx, purpose.userId, { action: "google.linked", objectType: "identity", objectId: linked.identityId, ip: facts.ip ?? null, userAgent: facts.userAgent ?? null, details: { email: identity.email, issuer: identity.issuer } });
  });
  return { kind: "linked", userId: purpose.userId };
}

async function signIn(s: Services, identity: VerifiedIdentity, facts: RequestFacts): Promise<GoogleOutcome> {
  const owner = await findIdentity(s, identity.issuer, identity.subject);
  if (!owner) throw new OidcRefusal("identity_unknown");
  if (owner.disabled) {
    const refusal = new OidcRefusal("identity_unknown", "the account is disabled");
    refusal.userId = owner.userId;
    throw refusal;
  }
  await withUser(s.db, owner.userId, async (tx) => {
    await tx.update(userIdentities).set({ email: identity.email, lastUsedAt: s.clock.now() }).where(eq(userIdentities.id, owner.identityId));
    await recordPersonEvent(s, tx, owner.userId, { action: "google.sign_in", objectType: "identity", objectId: owner.identityId, ip: facts.ip ?? null, userAgent: facts.userAgent ?? null, details: { email: identity.email } });
  });
  return { kind: "signed_in", created: await createSession(s, { userId: owner.userId, method: "google", userVerified: false, ...facts }) };
}

async function acceptWithGoogle(s: Services, identity: VerifiedIdentity, token: string, facts: RequestFacts): Promise<GoogleOutcome> {
  let accepted;
  try {
    accepted = await acceptInvitation(s, token, { email: identity.email, emailVerified: true, ...(identity.name ? { displayName: identity.name } : {}), ip: facts.ip ?? null, userAgent: facts.userAgent ?? null }, async (tx, a) => {
      const linked = await linkIdentity(tx, s, a.userId, identity);
      await recordAudit(tx, { workspaceId: a.workspaceId, actorType: "user", actorId: a.userId, action: "google.linked", objectType: "identity", objectId: linked.identityId, ip: facts.ip ?? null, userAgent: facts.userAgent ?? null, details: { email: identity.email, issuer: identity.issuer, via: "invitation" } });
    });
  } catch (err) {
    if (err instanceof AppError && err.code === "invitation_email_mismatch") {
      // Counts toward the invitation's own limit, as a wrong passkey does toward an account's.
      await recordFailedAttempt(s, "invitation", token);
      await auditInvitationRefusal(s, token, identity, facts);
      throw new OidcRefusal("invitation_email_mismatch");
    }
    if (err instanceof AppError && err.code === "invitation_invalid") throw new OidcRefusal("invitation_invalid");
    throw err;
  }
  const created = await createSession(s, { userId: accepted.userId, method: "google", userVerified: false, workspaceId: accepted.workspaceId, ...facts });
  return { kind: "invitation_accepted", created, workspaceId: accepted.workspaceId };
}

/** A Google account that is not the invitee tried the link: the inviting workspace's owners see it. */
async function auditInvitationRefusal(s: Services, token: string, identity: VerifiedIdentity, facts: RequestFacts): Promise<void> {
  const inv = await findInvitation(s, token).catch(() => null);
  if (!inv) return;
  await asApp(s.db, async (tx) => {
    await switchTenant(tx, inv.workspaceId);
    await recordAudit(tx, { workspaceId: inv.workspaceId, actorType: "system", action: "invitation.accept_failed", objectType: "invitation", objectId: inv.invitationId, ip: facts.ip ?? null, userAgent: facts.userAgent ?? null, details: { method: "google", reason: "email_mismatch", google_email: identity.email } });
  });
}
