import { randomBase62, sha256Hex } from "../crypto/encoding.js";

/**
 * `sk_` + 43 base62 characters (256 bits). The prefix makes a leaked key easy to
 * recognise (and to redact from logs); only the SHA-256 of the whole key is stored.
 */
export const KEY_PATTERN = /^sk_[0-9A-Za-z]{43}$/;
const DISPLAY_PREFIX_LENGTH = 10;

export interface NewKey {
  key: string;
  prefix: string;
  hash: string;
}

export async function generateApiKey(): Promise<NewKey> {
  const key = `sk_${randomBase62(43)}`;
  return { key, prefix: key.slice(0, DISPLAY_PREFIX_LENGTH), hash: await sha256Hex(key) };
}

export const hashApiKey = sha256Hex;
