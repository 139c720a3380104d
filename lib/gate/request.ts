import { revocationKey, type ApiKeyAuth } from "../apikeys/auth.js";
import type { Services } from "../context.js";
import { AppError, unauthorized } from "../errors.js";
import { defineScript } from "../redis/port.js";
import requestSource from "./request.lua.js";

const REQUEST = defineScript("request_gate", requestSource);

/**
 * Reads and management calls: revocation and the key's request rate in one Redis
 * round trip (sends pass the full gate instead). Same limits as the send gate's
 * per-key limit, counted in a bucket of their own so reads never eat into sending.
 */
export async function passRequestGate(s: Services, auth: ApiKeyAuth): Promise<void> {
  const { limit, periodMs } = auth.limits.apiKey;
  const r = await s.redis.run<[string, number?]>(
    REQUEST,
    [revocationKey(auth.workspaceId, auth.keyId), `{w:${auth.workspaceId}}:rl:r:${auth.keyId}`],
    [s.clock.now().getTime(), limit, periodMs],
  );
  if (r[0] === "revoked") throw unauthorized("The API key has been revoked");
  if (r[0] === "limited") {
    throw new AppError(429, "rate_limited_api_key", "Too many requests with this API key", undefined, { "Retry-After": String(Math.max(1, Math.ceil(Number(r[1]) / 1000))) });
  }
}
