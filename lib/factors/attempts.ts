import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { countAttempt } from "../redis/attempts.js";
import { defineScript } from "../redis/port.js";
import refundSource from "./refund.lua.js";

const REFUND = defineScript("factor_attempt_refund", refundSource);

/**
 * Five wrong codes per person per 15 minutes. With ±1 step three codes in a million are
 * right at any moment, so someone holding only the first factor would need decades of
 * windows; a person who mistypes twice is not locked out, as right codes are refunded.
 */
export const FACTOR_ATTEMPTS = 5;
export const FACTOR_WINDOW_MS = 15 * 60_000;

const keyFor = (userId: string) => `factors:attempts:${userId}`;

export const tooManyAttempts = (retryAfterS: number) =>
  new AppError(429, "rate_limited_second_factor", `Too many second-factor attempts; try again in ${retryAfterS} s`, { retry_after_s: retryAfterS }, {
    "Retry-After": String(retryAfterS),
  });

/**
 * Counts one attempt before the code is looked at (one Lua script, lib/redis/attempts.lua,
 * so parallel guesses cannot all slip under the limit); throws the 429 past the limit.
 */
export async function takeFactorAttempt(s: Services, userId: string): Promise<void> {
  const a = await countAttempt(s.redis, keyFor(userId), FACTOR_ATTEMPTS, FACTOR_WINDOW_MS);
  if (!a.ok) throw tooManyAttempts(a.retryAfterS);
}

/** A right code: its attempt does not count against the person. */
export async function refundFactorAttempt(s: Services, userId: string): Promise<void> {
  await s.redis.run(REFUND, [keyFor(userId)], []);
}
