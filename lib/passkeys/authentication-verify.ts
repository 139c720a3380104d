import { verifyAuthenticationResponse } from "@simplewebauthn/server";
import { eq } from "drizzle-orm";
import { passkeys } from "../../db/schema/index.js";
import { withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { admitAccount, recordFailedAttempt } from "../sessions/attempts.js";
import { takeChallenge } from "./challenges.js";
import { recordPersonEvent } from "../people/person-audit.js";
import { PasskeyRefusal, refusing, type RefusalReason } from "./refusal.js";
import { expectations } from "./relying-party.js";
import { AuthenticationResponseSchema, readResponse } from "./responses.js";
import { passkeyOwner } from "./store.js";

export interface PasskeySignIn {
  userId: string;
  passkeyId: string;
  /** Always true: a response without UV is refused. Carried so sessions can record it. */
  userVerified: true;
}

export interface RequestFacts {
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * The authentication ceremony's checks (WebAuthn §7.2): the challenge is this server's,
 * unused, fresh and issued for a sign-in; the credential is registered and its person
 * not disabled; the user handle is the credential's; type, origin and RP ID are
 * PUBLIC_URL's; the user was present and verified; the signature is the credential's;
 * the signature counter moved forward (or both are 0, as synced passkeys report); the
 * backup-eligible flag is what it was at registration. The new counter, backup state
 * and last use are stored in the transaction that records the sign-in.
 * Every refusal is recorded (audit for a known person, the log for anyone) and then
 * thrown as a PasskeyRefusal.
 */
export async function verifyPasskeySignIn(s: Services, input: unknown, facts: RequestFacts = {}): Promise<PasskeySignIn> {
  let userId: string | null = null;
  let passkeyId: string | null = null;
  try {
    const { response, challenge } = readResponse(AuthenticationResponseSchema, input);
    await takeChallenge(s, challenge, "authentication");
    const owner = await passkeyOwner(s.db, response.id);
    if (!owner) throw new PasskeyRefusal("unknown_credential");
    ({ userId, passkeyId } = owner);
    // The person's failed sign-ins are limited from any address (429 once used up).
    await admitAccount(s, "sign_in", owner.userId);
    if (owner.userDisabled) throw new PasskeyRefusal("user_disabled");
    return await withUser(s.db, owner.userId, async (tx) => {
      const [row] = await tx.select().from(passkeys).where(eq(passkeys.id, owner.passkeyId)).for("update");
      if (!row) throw new PasskeyRefusal("unknown_credential");
      // A sign-in that named nobody beforehand must carry the handle, and it must be this credential's.
      if (response.response.userHandle !== row.userHandle) throw new PasskeyRefusal("user_handle_mismatch");
      const result = await refusing(() =>
        verifyAuthenticationResponse({
          response,
          ...expectations(s.config, challenge, "webauthn.get"),
          credential: { id: row.credentialId, publicKey: new Uint8Array(row.publicKey), counter: row.signCount, transports: row.transports },
          requireUserVerification: true,
        }),
      );
      if (!result.verified) throw new PasskeyRefusal("bad_signature");
      const info = result.authenticationInfo;
      if (!info.userVerified) throw new PasskeyRefusal("user_not_verified");
      if ((info.credentialDeviceType === "multiDevice") !== row.backupEligible) throw new PasskeyRefusal("backup_eligibility_changed");
      const now = s.clock.now();
      await tx.update(passkeys).set({ signCount: info.newCounter, backedUp: info.credentialBackedUp, lastUsedAt: now }).where(eq(passkeys.id, row.id));
      await recordPersonEvent(s, tx, row.userId, {
        action: "passkey.sign_in",
        objectType: "passkey",
        objectId: row.id,
        ip: facts.ip ?? null,
        userAgent: facts.userAgent ?? null,
        details: { name: row.name, backed_up: info.credentialBackedUp },
      });
      return { userId: row.userId, passkeyId: row.id, userVerified: true as const };
    });
  } catch (err) {
    if (!(err instanceof PasskeyRefusal)) throw err;
    if (userId) await recordFailedAttempt(s, "sign_in", userId);
    await recordFailure(s, userId, passkeyId, err.reason, facts);
    throw err;
  }
}

/** A refused sign-in, in its own transaction (the ceremony's rolled back). */
async function recordFailure(s: Services, userId: string | null, passkeyId: string | null, reason: RefusalReason, facts: RequestFacts): Promise<void> {
  const event = {
    action: "passkey.sign_in_failed",
    objectType: "passkey",
    ...(passkeyId ? { objectId: passkeyId } : {}),
    ip: facts.ip ?? null,
    userAgent: facts.userAgent ?? null,
    details: { reason },
  };
  if (!userId) return recordPersonEvent(s, null, null, event);
  await withUser(s.db, userId, (tx) => recordPersonEvent(s, tx, userId, event));
}
