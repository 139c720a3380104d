import { SignJWT } from "jose";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { generateSigningKey, type SigningKey } from "./keys.js";
import type { IssuerState } from "./types.js";

export const b64url = (bytes: Buffer) => bytes.toString("base64url");
export const random = (n: number) => b64url(randomBytes(n));

export const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export const sign = async (claims: Record<string, unknown>, key: SigningKey) =>
  new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" }).sign(key.privateKey);

/** The current signing key, or (for a fault) one the JWKS never lists. */
export const signingKey = async (st: IssuerState, unpublished = false): Promise<SigningKey> =>
  unpublished ? (st.unpublished ??= await generateSigningKey()) : st.keys.current;

/** The classic forgeries, under the current `kid`: unsigned, or HS256 keyed with the published public key's JSON. */
export async function forge(claims: Record<string, unknown>, key: SigningKey, alg: "none" | "HS256"): Promise<string> {
  if (alg === "HS256") {
    return new SignJWT(claims).setProtectedHeader({ alg, kid: key.kid, typ: "JWT" }).sign(new TextEncoder().encode(JSON.stringify(key.publicJwk)));
  }
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none", kid: key.kid, typ: "JWT" })}.${part(claims)}.`;
}
