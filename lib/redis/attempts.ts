import { defineScript, type RedisPort } from "./port.js";
import attemptsSource from "./attempts.lua.js";

const ATTEMPTS = defineScript("count_attempt", attemptsSource);

/** One more attempt under `key` in a window of `windowMs`: whether it is within `limit`. */
export async function countAttempt(redis: RedisPort, key: string, limit: number, windowMs: number): Promise<{ ok: boolean; retryAfterS: number }> {
  const [n, ttl] = await redis.run<[number, number]>(ATTEMPTS, [key], [windowMs]);
  return { ok: Number(n) <= limit, retryAfterS: Math.max(1, Math.ceil(Number(ttl) / 1000)) };
}
