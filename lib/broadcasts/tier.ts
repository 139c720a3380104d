import type { Clock } from "../clock.js";
import { uniqueRecipientsKey as uniqueKey } from "../gate/gate.js";
import { TIER_UNIQUE_RECIPIENTS } from "../gate/limits.js";
import { defineScript, type RedisPort } from "../redis/port.js";
import releaseSource from "./tier-release.lua.js";
import tierSource from "./tier.lua.js";

const TIER = defineScript("broadcast_tier", tierSource);
const RELEASE = defineScript("broadcast_tier_release", releaseSource);

/** The recipients a broadcast added to the gate's set, with the time it added each: what it may give back. */
const takingsKey = (workspaceId: string, broadcastId: string) => `{w:${workspaceId}}:broadcast:${broadcastId}:tier`;

export const tierLimit = (tier: string): number => TIER_UNIQUE_RECIPIENTS[tier] ?? 250;

/** A broadcast's takings: which of its contacts it added to the tier (by contact id, never the digits). */
export interface Takings {
  broadcastId: string;
  contactIds: string[];
}

/**
 * Takes the tier's room for these recipients (one EVALSHA per page): per recipient,
 * whether it goes now (already messaged in this 24 h, or room left) or waits for the
 * next window. A page written again after a crash finds its recipients in the set: taken once.
 * With `takings`, the recipients it adds are remembered as the broadcast's (releaseTier).
 */
export async function takeTier(redis: RedisPort, clock: Clock, workspaceId: string, numberId: string, tier: string, recipients: string[], takings?: Takings): Promise<{ now: boolean[]; used: number }> {
  const keys = [uniqueKey(workspaceId, numberId), ...(takings ? [takingsKey(workspaceId, takings.broadcastId)] : [])];
  const r = await redis.run<number[]>(TIER, keys, [clock.now().getTime(), tierLimit(tier), ...recipients, ...(takings?.contactIds ?? [])]);
  return { used: Number(r[0]), now: r.slice(1).map((x) => Number(x) === 1) };
}

/**
 * Gives back the room these recipients hold in the tier for this broadcast (paused or
 * canceled before they were handed to Meta): only recipients the broadcast itself added
 * and that no send counted since. Answers how many left the set.
 */
export async function releaseTier(redis: RedisPort, workspaceId: string, numberId: string, broadcastId: string, held: { recipient: string; contact_id: string | null }[]): Promise<number> {
  const pairs = held.flatMap((h) => (h.contact_id ? [h.recipient, h.contact_id] : []));
  if (!pairs.length) return 0;
  return Number(await redis.run<number>(RELEASE, [uniqueKey(workspaceId, numberId), takingsKey(workspaceId, broadcastId)], pairs));
}

/** Unique recipients the tier still allows in this 24 h (null: unlimited). */
export async function tierRoom(redis: RedisPort, clock: Clock, workspaceId: string, numberId: string, tier: string): Promise<number | null> {
  const limit = tierLimit(tier);
  if (limit === 0) return null;
  const { used } = await takeTier(redis, clock, workspaceId, numberId, tier, []);
  return Math.max(0, limit - used);
}
