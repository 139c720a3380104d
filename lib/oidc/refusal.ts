/**
 * Why a Google sign-in did not go through. The reason is for the audit log and the
 * structured log; the person only ever sees one generic message (no answer says
 * whether an account exists, nor which check failed).
 */
export type RefusalReason =
  | "not_configured"
  | "flow_unknown" // no such state, expired, or already used
  | "flow_binding" // the state was started in another browser
  | "provider_error" // the issuer sent the browser back with error=…
  | "provider_unreachable"
  | "discovery_invalid"
  | "token_refused" // the token endpoint said no (invalid_grant, invalid_client …)
  | "id_token_invalid" // signature, unknown key, malformed
  | "issuer_mismatch"
  | "audience_mismatch"
  | "expired"
  | "nonce_mismatch"
  | "email_unverified"
  | "claims_missing"
  | "identity_unknown" // a valid Google account that no Sandesh user has linked
  | "invitation_invalid"
  | "invitation_email_mismatch"
  | "identity_taken"; // the Google account is linked to another user

export class OidcRefusal extends Error {
  /** The person the attempt was for when known (a link started from their session): their workspaces audit the failure. */
  userId?: string;
  /** What the attempt was for: where the browser goes back to. */
  purpose?: "sign-in" | "invitation" | "link";
  constructor(
    readonly reason: RefusalReason,
    /** Safe to log: never a code, token, secret, state or nonce. */
    readonly detail?: string,
  ) {
    super(`sign-in with Google refused: ${reason}${detail ? ` (${detail})` : ""}`);
    this.name = "OidcRefusal";
  }
}
