import type { Clock } from "../clock.js";
import { uniqueRecipientsKey as uniqueKey } from "../gate/gate.js";
import { TIER_UNIQUE_RECIPIENTS } from "../gate/limits.js";
import { defineScript, type RedisPort } from "../redis/port.js";
import tierSource from "./tier.lua.js";

const TIER = defineScript("broadcast_tier", tierSource);

export const tierLimit = (tier: string): number => TIER_UNIQUE_RECIPIENTS[tier] ?? 250;

/**
 * Takes the tier's room for these recipients (one EVALSHA per page): per recipient,
 * whether it goes now (already messaged in this 24 h, or room left) or waits for the
 * next window. A page written again after a crash finds its recipients in the set: taken once.
 */
export async function takeTier(redis: RedisPort, clock: Clock, workspaceId: string, numberId: string, tier: string, recipients: string[]): Promise<{ now: boolean[]; used: number }> {
  const r = await redis.run<number[]>(TIER, [uniqueKey(workspaceId, numberId)], [clock.now().getTime(), tierLimit(tier), ...recipients]);
  return { used: Number(r[0]), now: r.slice(1).map((x) => Number(x) === 1) };
}

/** Unique recipients the tier still allows in this 24 h (null: unlimited). */
export async function tierRoom(redis: RedisPort, clock: Clock, workspaceId: string, numberId: string, tier: string): Promise<number | null> {
  const limit = tierLimit(tier);
  if (limit === 0) return null;
  const { used } = await takeTier(redis, clock, workspaceId, numberId, tier, []);
  return Math.max(0, limit - used);
}
