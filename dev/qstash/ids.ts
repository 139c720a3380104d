import { randomBytes } from "node:crypto";

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Random base58 text, the look of QStash's ids (`msg_2XavMmRcJHJf7HkNtNqjfVf8uQe`). */
export function base58(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length)) {
      // 232 = 4 × 58: rejecting the rest keeps every character equally likely.
      if (b < 232 && out.length < length) out += BASE58[b % 58];
    }
  }
  return out;
}

export const newMessageId = () => `msg_${base58(27)}`;
export const newJwtId = () => `jwt_${base58(28)}`;
export const newSigningKey = () => `sig_${base58(28)}`;
export const newToken = () => Buffer.from(JSON.stringify({ UserID: `local_${base58(12)}`, Password: base58(32) })).toString("base64");

let dlqSeq = 0;
/** DLQ ids look like `1725323658779-0` (docs, "Callbacks"). */
export const newDlqId = () => `${Date.now()}-${dlqSeq++}`;
