import { generateAuthenticationOptions, type PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import type { Services } from "../context.js";
import { CEREMONY_TIMEOUT_MS } from "./algorithms.js";
import { issueChallenge } from "./challenges.js";
import { relyingParty } from "./relying-party.js";

/**
 * Options for navigator.credentials.get(): usernameless (no allowCredentials, so the
 * authenticator offers the person's discoverable passkeys and nobody's email is asked
 * for or revealed), user verification required.
 */
export async function authenticationOptions(s: Services): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const challenge = await issueChallenge(s, { ceremony: "authentication" });
  return generateAuthenticationOptions({
    rpID: relyingParty(s.config).rpID,
    challenge: isoBase64URL.toBuffer(challenge),
    allowCredentials: [],
    userVerification: "required",
    timeout: CEREMONY_TIMEOUT_MS,
  });
}
