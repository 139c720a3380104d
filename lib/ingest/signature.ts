import { utf8 } from "../crypto/encoding.js";

/**
 * X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>. Verified over
 * the exact bytes received, before anything parses them; WebCrypto's verify compares
 * in constant time.
 */
const keys = new Map<string, Promise<CryptoKey>>();
const keyFor = (secret: string) => {
  let k = keys.get(secret);
  if (!k) {
    k = crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify", "sign"]);
    keys.set(secret, k);
  }
  return k;
};

/** The 32 signature bytes, or null when the header is missing or not `sha256=<64 hex>`. */
export function parseSignatureHeader(header: string | undefined | null): Uint8Array<ArrayBuffer> | null {
  const m = header ? /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim()) : null;
  if (!m) return null;
  const sig = new Uint8Array(32);
  for (let i = 0; i < 32; i++) sig[i] = parseInt(m[1]!.slice(i * 2, i * 2 + 2), 16);
  return sig;
}

export async function verifyMetaSignature(appSecret: string, rawBody: Uint8Array<ArrayBuffer>, header: string | undefined | null): Promise<boolean> {
  const sig = parseSignatureHeader(header);
  if (!sig) return false;
  return crypto.subtle.verify("HMAC", await keyFor(appSecret), sig, rawBody);
}
