import { addressBucket } from "../client-address.js";
import type { Clock } from "../clock.js";
import { defineScript, type RedisPort } from "../redis/port.js";
import { revocationKey } from "../apikeys/auth.js";
import gateSource from "./gate.lua.js";
import releaseSource from "./release.lua.js";
import type { Limits } from "./limits.js";

const GATE = defineScript("send_gate", gateSource);
const RELEASE = defineScript("send_gate_release", releaseSource);

export interface GateInput {
  workspaceId: string;
  keyId: string;
  ip: string;
  limits: Limits;
  /** Already hashed by the caller: the client's key is scoped to the workspace by the tag. */
  idempotencyKeyHash: string | null;
  bodyHash: string;
  reservationId: string;
  numberId: string;
  perSecond: number;
  uniqueRecipientLimit: number;
  recipient: string;
  countsTowardTier: boolean;
}

export type LimitName =
  | "rate_limited_api_key"
  | "rate_limited_ip"
  | "rate_limited_workspace"
  | "quota_sender_per_second"
  | "quota_sender_per_day"
  | "quota_messaging_tier";

export type GateResult =
  | { kind: "ok"; newRecipient: boolean; at: Date }
  | { kind: "revoked" }
  | { kind: "replay"; stored: string }
  | { kind: "in_progress" }
  | { kind: "reused" }
  | { kind: "limited"; limit: LimitName; retryAfterMs: number };

const IN_FLIGHT_TTL_MS = 60_000;
export const IDEMPOTENCY_TTL_S = 24 * 3600;

/** The idempotency record of a workspace's Idempotency-Key (given as its SHA-256). */
export const idempotencyRecordKey = (workspaceId: string, keyHash: string | null) => `{w:${workspaceId}}:idem:${keyHash ?? "-"}`;
/** A sender's unique recipients in a rolling 24 h (ZSET of recipient ids, the broadcast tier's too). */
export const uniqueRecipientsKey = (workspaceId: string, numberId: string) => `{w:${workspaceId}}:q:u:${numberId}`;

function keysFor(g: Pick<GateInput, "workspaceId" | "keyId" | "ip" | "idempotencyKeyHash" | "numberId">) {
  const tag = `{w:${g.workspaceId}}`;
  return {
    revoked: revocationKey(g.workspaceId, g.keyId),
    rateIp: `${tag}:rl:ip:${addressBucket(g.ip)}`,
    idem: idempotencyRecordKey(g.workspaceId, g.idempotencyKeyHash),
    state: `${tag}:gate`,
    unique: uniqueRecipientsKey(g.workspaceId, g.numberId),
  };
}

/**
 * One EVALSHA: revocation, the address's and the workspace's rates, idempotency and the
 * sender's quotas. The key's own rate was counted before the request was parsed
 * (lib/gate/request.ts), in the same hash field this script used to count it in.
 */
export async function passGate(redis: RedisPort, clock: Clock, g: GateInput): Promise<GateResult> {
  const now = clock.now();
  const k = keysFor(g);
  const l = g.limits;
  const res = await redis.run<[string, ...(string | number)[]]>(
    GATE,
    [k.revoked, k.rateIp, k.idem, k.state, k.unique],
    [
      now.getTime(), g.reservationId, g.numberId,
      l.ip.limit, l.ip.periodMs, l.workspace.limit, l.workspace.periodMs,
      g.idempotencyKeyHash ? 1 : 0, g.bodyHash, IN_FLIGHT_TTL_MS,
      g.perSecond, l.perNumberPerDay,
      g.uniqueRecipientLimit, g.recipient, g.countsTowardTier ? 1 : 0,
    ],
  );
  switch (res[0]) {
    case "ok":
      return { kind: "ok", newRecipient: Number(res[1]) === 1, at: now };
    case "replay":
      return { kind: "replay", stored: String(res[1]) };
    case "limited":
      return { kind: "limited", limit: res[1] as LimitName, retryAfterMs: Number(res[2]) };
    case "revoked":
    case "in_progress":
    case "reused":
      return { kind: res[0] };
    default:
      throw new Error(`unexpected gate answer ${String(res[0])}`);
  }
}

/** After a failure past the gate: give back the reservation so the client can retry. */
export async function releaseGate(redis: RedisPort, passed: { at: Date; newRecipient: boolean }, g: GateInput): Promise<void> {
  const k = keysFor(g);
  await redis.run(RELEASE, [k.idem, k.state, k.unique], [g.reservationId, g.bodyHash, g.recipient, passed.newRecipient ? 1 : 0, g.numberId, passed.at.getTime()]);
}

/** The finished response, kept 24 h for replays byte for byte. */
export async function storeIdempotentResponse(redis: RedisPort, g: GateInput, status: number, body: string): Promise<void> {
  if (!g.idempotencyKeyHash) return;
  const k = keysFor(g);
  await redis.set(k.idem, `D:${g.bodyHash}:${status}:${body}`, { ex: IDEMPOTENCY_TTL_S });
}

export function parseStored(stored: string): { status: number; body: string } {
  const i = stored.indexOf(":");
  return { status: Number(stored.slice(0, i)), body: stored.slice(i + 1) };
}
