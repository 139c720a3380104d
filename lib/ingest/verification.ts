import { addressBucket } from "../client-address.js";
import type { Services } from "../context.js";
import { timingSafeEqual } from "../crypto/encoding.js";
import { AppError } from "../errors.js";
import { countAttempt } from "../redis/attempts.js";

/** Meta verifies a subscription once, when it is set up: a few tries a minute is plenty. */
export const VERIFY_ATTEMPTS_PER_MINUTE = 10;

/**
 * GET /webhooks/meta: the challenge, if the verify token matches. Every attempt counts
 * against its address first, so the token cannot be guessed at speed.
 */
export async function answerVerification(s: Services, ip: string, q: Record<string, string | undefined>): Promise<string> {
  const attempt = await countAttempt(s.redis, `metaverify:${addressBucket(ip)}`, VERIFY_ATTEMPTS_PER_MINUTE, 60_000);
  if (!attempt.ok) {
    throw new AppError(429, "rate_limited_ip", "Too many verification attempts from this address", undefined, { "Retry-After": String(attempt.retryAfterS) });
  }
  if (q["hub.mode"] !== "subscribe" || !timingSafeEqual(q["hub.verify_token"] ?? "", s.config.meta.verifyToken)) {
    throw new AppError(403, "forbidden", "The verify token does not match");
  }
  return q["hub.challenge"] ?? "";
}
