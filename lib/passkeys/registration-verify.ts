import { verifyRegistrationResponse } from "@simplewebauthn/server";
import type { Services } from "../context.js";
import { SUPPORTED_ALGORITHMS } from "./algorithms.js";
import { takeChallenge } from "./challenges.js";
import { PasskeyRefusal, refusing } from "./refusal.js";
import { expectations } from "./relying-party.js";
import { knownTransports, readResponse, RegistrationResponseSchema } from "./responses.js";

/** A credential that passed every registration check, ready to be stored. */
export interface VerifiedCredential {
  credentialId: string;
  publicKey: Uint8Array;
  signCount: number;
  transports: string[];
  aaguid: string;
  backupEligible: boolean;
  backedUp: boolean;
  userHandle: string;
}

/** Whom the registration must have been started for. */
export type RegistrationExpected = { userId: string } | { invitationHash: string };

/**
 * The registration ceremony's checks (WebAuthn §7.1, by @simplewebauthn/server): the
 * challenge is this server's, unused, under five minutes old, issued for a registration
 * and for this person or invitation; type, origin and RP ID are PUBLIC_URL's; the user
 * was present and verified; the key's algorithm is one we accept. Any failure is a
 * PasskeyRefusal carrying only a reason.
 */
export async function verifyRegistration(s: Services, input: unknown, expected: RegistrationExpected): Promise<VerifiedCredential> {
  const { response, challenge } = readResponse(RegistrationResponseSchema, input);
  const subject = await takeChallenge(s, challenge, "registration");
  const same = "userId" in expected
    ? "userId" in subject && subject.userId === expected.userId
    : "invitationHash" in subject && subject.invitationHash === expected.invitationHash;
  if (!same) throw new PasskeyRefusal("challenge_other_subject");
  const result = await refusing(() =>
    verifyRegistrationResponse({
      response,
      ...expectations(s.config, challenge, "webauthn.create"),
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    }),
  );
  if (!result.verified) throw new PasskeyRefusal("unverified");
  const info = result.registrationInfo;
  if (!info.userVerified) throw new PasskeyRefusal("user_not_verified");
  return {
    credentialId: info.credential.id,
    publicKey: info.credential.publicKey,
    signCount: info.credential.counter,
    transports: knownTransports(response.response.transports),
    aaguid: info.aaguid,
    backupEligible: info.credentialDeviceType === "multiDevice",
    backedUp: info.credentialBackedUp,
    userHandle: subject.userHandle,
  };
}
