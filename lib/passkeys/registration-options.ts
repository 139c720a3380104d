import { generateRegistrationOptions, type PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import type { Services } from "../context.js";
import { CEREMONY_TIMEOUT_MS, SUPPORTED_ALGORITHMS } from "./algorithms.js";
import { issueChallenge } from "./challenges.js";
import { relyingParty } from "./relying-party.js";

/** Who is registering: a person adding a passkey (with those they hold), or an invitee. */
export type Registrant =
  | { kind: "user"; userId: string; email: string; displayName?: string | null; userHandle: string | null; existing: { credentialId: string; transports: string[] }[] }
  | { kind: "invitation"; invitationHash: string; email: string };

/**
 * Options for navigator.credentials.create(): a discoverable credential (usernameless
 * sign-in), user verification required, no attestation asked (nothing here decides on a
 * device's make), and the person's passkeys excluded so one authenticator is not
 * registered twice. The user handle is random and kept per person: the same one for
 * each of their passkeys, never their email or row id.
 */
export async function registrationOptions(s: Services, who: Registrant): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const rp = relyingParty(s.config);
  const userHandle = (who.kind === "user" ? who.userHandle : null) ?? isoBase64URL.fromBuffer(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = await issueChallenge(
    s,
    who.kind === "user"
      ? { ceremony: "registration", userId: who.userId, userHandle }
      : { ceremony: "registration", invitationHash: who.invitationHash, userHandle },
  );
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.rpID,
    userName: who.email,
    userDisplayName: (who.kind === "user" ? who.displayName : null) || who.email,
    userID: isoBase64URL.toBuffer(userHandle),
    // As bytes: a string would be taken as UTF-8 text and encoded once more.
    challenge: isoBase64URL.toBuffer(challenge),
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: "none",
    excludeCredentials: who.kind === "user" ? who.existing.map((c) => ({ id: c.credentialId, transports: c.transports })) : [],
    authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  });
}
