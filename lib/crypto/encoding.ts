import { createHash } from "node:crypto";

/** Byte helpers on Web-standard APIs (and node:crypto's hash, which workerd has too), so lib/ runs unchanged in workerd and Node. */
const enc = new TextEncoder();

export const utf8 = (s: string): Uint8Array<ArrayBuffer> => enc.encode(s);

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (const x of b) out += x.toString(16).padStart(2, "0");
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const x of bytes) bin += String.fromCharCode(x);
  return btoa(bin);
}

/** base64url without padding (RFC 4648 §5): tokens, link signatures, digests in ids. */
export const toBase64Url = (bytes: Uint8Array): string => toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Uniform base62 from rejection sampling: no modulo bias in secrets. */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    const buf = crypto.getRandomValues(new Uint8Array(length * 2));
    for (const x of buf) {
      if (x < 248 && out.length < length) out += BASE62[x % 62];
    }
  }
  return out;
}

/**
 * SHA-256 in hex. node:crypto's hash is synchronous (workerd provides it under
 * `nodejs_compat`): WebCrypto's digest hops through a thread pool and cost ~13 % of the
 * accept path's CPU, which hashes the API key and the body of every request.
 */
export async function sha256Hex(input: string): Promise<string> {
  return createHash("sha256").update(input, "utf8").digest("hex");
}

/** Constant-time comparison of two equal-purpose strings. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = utf8(a);
  const y = utf8(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
