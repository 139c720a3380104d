import { errors, jwtVerify, type JWTPayload } from "jose";
import type { Services } from "../context.js";
import { timingSafeEqual } from "../crypto/encoding.js";
import type { OidcProvider } from "./discovery.js";
import { OidcRefusal } from "./refusal.js";

/** What a verified ID token says about the person. */
export interface VerifiedIdentity {
  /** The configured issuer (Google's legacy `accounts.google.com` is stored as https://accounts.google.com). */
  issuer: string;
  subject: string;
  email: string;
  name?: string;
}

export const GOOGLE_ISSUER = "https://accounts.google.com";
/** Google's ID tokens may carry either (its reference: "accounts.google.com is also returned for legacy implementations"). */
const acceptedIssuers = (issuer: string) => (issuer === GOOGLE_ISSUER ? [GOOGLE_ISSUER, "accounts.google.com"] : [issuer]);

/** Clocks disagree a little; an ID token is checked within a minute of its times. */
const CLOCK_TOLERANCE_S = 60;

/**
 * The ID token, against the issuer's published keys (RS256 only: an `alg` of none or
 * HS256 with the public key as secret is refused before any key is used), then its
 * claims: `iss` the configured issuer, `aud` our client id (and `azp` ours when there
 * are several audiences), `exp` not passed, `iat` present, `nonce` the one this
 * attempt sent, `email_verified` true, `sub` and `email` present.
 */
export async function verifyIdToken(s: Services, provider: OidcProvider, clientId: string, idToken: string, expectedNonce: string): Promise<VerifiedIdentity> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, s.caches.oidc.keys(provider.jwksUri), {
      algorithms: ["RS256"],
      issuer: acceptedIssuers(provider.issuer),
      audience: clientId,
      requiredClaims: ["iss", "aud", "exp", "iat", "sub"],
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: s.clock.now(),
    }));
  } catch (err) {
    throw refusalFor(err);
  }
  const aud = payload.aud;
  if (Array.isArray(aud) && aud.length > 1 && payload.azp !== clientId) throw new OidcRefusal("audience_mismatch", "azp is not this client");
  const nonce = payload.nonce;
  if (typeof nonce !== "string" || !timingSafeEqual(nonce, expectedNonce)) throw new OidcRefusal("nonce_mismatch");
  const verified = payload.email_verified;
  if (verified !== true && verified !== "true") throw new OidcRefusal("email_unverified");
  const email = payload.email;
  const sub = payload.sub;
  if (typeof email !== "string" || !email.includes("@") || email.length > 320 || typeof sub !== "string" || !sub || sub.length > 255) {
    throw new OidcRefusal("claims_missing", "sub or email");
  }
  const name = typeof payload.name === "string" ? payload.name.slice(0, 200) : undefined;
  return { issuer: provider.issuer, subject: sub, email, ...(name ? { name } : {}) };
}

function refusalFor(err: unknown): OidcRefusal {
  if (err instanceof errors.JWTExpired) return new OidcRefusal("expired");
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "iss") return new OidcRefusal("issuer_mismatch");
    if (err.claim === "aud") return new OidcRefusal("audience_mismatch");
    return new OidcRefusal("claims_missing", err.claim);
  }
  if (err instanceof errors.JWKSNoMatchingKey) return new OidcRefusal("id_token_invalid", "signed by a key the issuer does not publish");
  if (err instanceof errors.JWKSTimeout) return new OidcRefusal("provider_unreachable", "JWKS timed out");
  if (err instanceof errors.JOSEError) return new OidcRefusal("id_token_invalid", err.code);
  if (err instanceof TypeError || (err instanceof Error && err.name === "AbortError")) return new OidcRefusal("provider_unreachable", "JWKS fetch failed");
  return new OidcRefusal("id_token_invalid");
}
