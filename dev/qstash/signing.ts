import { createHash } from "node:crypto";
import { SignJWT } from "jose";
import { newJwtId } from "./ids.js";

/** "Our JWTs have a lifetime of 5 minutes by default" (docs, "Security"). */
export const SIGNATURE_LIFETIME_S = 300;

/**
 * The `body` claim: SHA-256 of the raw body bytes, base64url WITH its `=` padding, as
 * QStash's own example token shows (`"body": "qK78N0k3…zZvY4="`). The client's `Receiver`
 * strips trailing `=` from both sides before comparing (src/receiver.ts), so padded and
 * unpadded claims both verify; padded is what the real service sends.
 */
export function bodyClaim(body: Uint8Array): string {
  const unpadded = createHash("sha256").update(body).digest("base64url");
  return unpadded + "=".repeat((4 - (unpadded.length % 4)) % 4);
}

/**
 * The `Upstash-Signature` JWT: HS256 over the signing key's UTF-8 bytes, header
 * `{"alg":"HS256","typ":"JWT"}`, claims iss "Upstash", sub = the exact URL delivered to,
 * iat = nbf = now, exp = now + 5 min, jti, body. `Receiver.verify` checks the HMAC with
 * the current key then the next key, `iss`, `nbf`/`exp` (clockTolerance defaults to 0 s),
 * `sub` against the url it is given, and the body hash.
 */
export async function signDelivery(opts: { key: string; url: string; body: Uint8Array; nowMs?: number }): Promise<string> {
  const now = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  return new SignJWT({ body: bodyClaim(opts.body) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("Upstash")
    .setSubject(opts.url)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + SIGNATURE_LIFETIME_S)
    .setJti(newJwtId())
    .sign(new TextEncoder().encode(opts.key));
}
