import { liveKey, LIVE_TTL_S, revocationKey, type ApiKeyAuth } from "../apikeys/auth.js";
import type { Services } from "../context.js";
import { AppError, unauthorized } from "../errors.js";
import { defineScript } from "../redis/port.js";
import requestSource from "./request.lua.js";

const REQUEST = defineScript("request_gate", requestSource);

/**
 * Which bucket a request counts in. Sends count in the key's field of the send gate's
 * hash, before they are parsed: a send refused for any reason (validation, window,
 * opt-out, unknown sender, a quota) has used its request, and one accepted is counted
 * once, here (the send gate no longer counts the key). Everything else counts in its
 * own bucket at the same limit, so reading never eats into sending.
 */
export type RequestBucket = "send" | "other";

/**
 * Every /v1 request, before anything else: revocation, the key's live marker and its
 * request rate, in one Redis round trip. "unverified" means Redis no longer vouches for
 * the key (it lost its data): the caller asks the database and comes back with fresh.
 */
export async function passRequestGate(s: Services, auth: ApiKeyAuth, bucket: RequestBucket, fresh: boolean): Promise<"ok" | "unverified"> {
  const { limit, periodMs } = auth.limits.apiKey;
  const tag = `{w:${auth.workspaceId}}`;
  const state = bucket === "send" ? `${tag}:gate` : `${tag}:rl:r:${auth.keyId}`;
  const r = await s.redis.run<[string, number?]>(
    REQUEST,
    [revocationKey(auth.workspaceId, auth.keyId), liveKey(auth.workspaceId, auth.keyId), state],
    [s.clock.now().getTime(), limit, periodMs, bucket === "send" ? `k:${auth.keyId}` : "", fresh ? 1 : 0, LIVE_TTL_S],
  );
  if (r[0] === "revoked") throw unauthorized("The API key has been revoked");
  if (r[0] === "limited") {
    throw new AppError(429, "rate_limited_api_key", "Too many requests with this API key", undefined, { "Retry-After": String(Math.max(1, Math.ceil(Number(r[1]) / 1000))) });
  }
  return r[0] === "unverified" ? "unverified" : "ok";
}
