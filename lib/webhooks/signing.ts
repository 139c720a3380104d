import { fromBase64, toBase64, utf8 } from "../crypto/encoding.js";

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the secret is `whsec_`
 * + base64 of random bytes, the HMAC key is those bytes, the signed content is
 * `${id}.${timestamp}.${body}`, and the header carries `v1,<base64 HMAC-SHA256>`, one
 * per secret, space-separated (how a receiver keeps verifying through a rotation).
 */
export const SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 32;

export function generateSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

async function sign(secret: string, content: Uint8Array<ArrayBuffer>): Promise<string> {
  const raw = fromBase64(secret.slice(SECRET_PREFIX.length)) as Uint8Array<ArrayBuffer>;
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `v1,${toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, content)))}`;
}

export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** Headers for one attempt; `secrets` newest first. */
export async function signedHeaders(secrets: string[], id: string, at: Date, body: string): Promise<SignedHeaders> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const content = utf8(`${id}.${timestamp}.${body}`);
  const signatures = await Promise.all(secrets.map((s) => sign(s, content)));
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signatures.join(" ") };
}
