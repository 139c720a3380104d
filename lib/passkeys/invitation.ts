import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { acceptInvitation, type AcceptedInvitation } from "../people/accept.js";
import { findInvitation, type PendingInvitation } from "../people/find-invitation.js";
import { hashToken } from "../people/tokens.js";
import { findUserIdByEmail } from "../people/users.js";
import { admitAccount, recordFailedAttempt } from "../sessions/attempts.js";
import { createSession, type CreatedSession } from "../sessions/create.js";
import type { RequestFacts } from "./authentication-verify.js";
import { recordPersonEvent } from "../people/person-audit.js";
import { PasskeyRefusal } from "./refusal.js";
import { registrationOptions } from "./registration-options.js";
import { verifyRegistration } from "./registration-verify.js";
import { insertPasskey, summary, type PasskeySummary } from "./store.js";

/**
 * The link alone proves only that its holder got the link. For a new person that is what
 * an invitation means; for someone who already has an account it would let the holder
 * add their own passkey to that account, so they must sign in first and accept there.
 */
const signInFirst = () =>
  new AppError(409, "invitation_sign_in_first", "This email already has an account here: sign in with your passkey or Google, then open the invitation again");

async function forNewPerson(s: Services, token: string): Promise<PendingInvitation> {
  const inv = await findInvitation(s, token);
  if (await findUserIdByEmail(s, inv.email)) throw signInFirst();
  return inv;
}

/** Options for the invitee's first passkey, bound to this invitation. */
export async function invitationPasskeyOptions(s: Services, token: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const inv = await forNewPerson(s, token);
  return registrationOptions(s, { kind: "invitation", invitationHash: await hashToken(token), email: inv.email });
}

export interface AcceptedWithPasskey {
  accepted: AcceptedInvitation;
  passkey: PasskeySummary;
  session: CreatedSession;
}

/**
 * The invitee answers: the passkey is verified against a challenge issued for this very
 * invitation, then the person, their membership, the used-up invitation and the passkey
 * land in one transaction (acceptInvitation's), and they are signed in. A refusal is
 * recorded in the inviting workspace; nothing else is written.
 */
export async function acceptInvitationWithPasskey(s: Services, token: string, response: unknown, name: string | undefined, facts: RequestFacts = {}): Promise<AcceptedWithPasskey> {
  const inv = await forNewPerson(s, token);
  // Failed answers to one invitation are limited from any address, as sign-ins are.
  await admitAccount(s, "invitation", token);
  let verified;
  try {
    verified = await verifyRegistration(s, response, { invitationHash: await hashToken(token) });
  } catch (err) {
    if (err instanceof PasskeyRefusal) {
      await recordFailedAttempt(s, "invitation", token);
      s.logger.warn("passkey.add_failed", { reason: err.reason, invitation_id: inv.invitationId, ip: facts.ip ?? null });
      await withTenant(s.db, inv.workspaceId, (tx) =>
        recordAudit(tx, { workspaceId: inv.workspaceId, actorType: "user", action: "passkey.add_failed", objectType: "invitation", objectId: inv.invitationId, ip: facts.ip ?? null, userAgent: facts.userAgent ?? null, details: { reason: err.reason } }),
      );
    }
    throw err;
  }
  let passkey: PasskeySummary | undefined;
  const accepted = await acceptInvitation(s, token, { ip: facts.ip ?? null, userAgent: facts.userAgent ?? null }, async (tx, a) => {
    // An account made for this email since the options were issued: the same rule as above.
    if (!a.userCreated) throw signInFirst();
    const row = await insertPasskey(tx, a.userId, verified, name, s.clock.now());
    await recordPersonEvent(s, tx, a.userId, {
      action: "passkey.added",
      objectType: "passkey",
      objectId: row.id,
      ip: facts.ip ?? null,
      userAgent: facts.userAgent ?? null,
      details: { name: row.name, backup_eligible: row.backupEligible, backed_up: row.backedUp, invitation_id: a.invitationId },
    });
    passkey = summary(row);
  });
  const session = await createSession(s, { userId: accepted.userId, method: "passkey", userVerified: true, ip: facts.ip ?? null, userAgent: facts.userAgent ?? null, workspaceId: accepted.workspaceId });
  return { accepted, passkey: passkey!, session };
}
