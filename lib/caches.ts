import type { ApiKeyAuth } from "./apikeys/auth.js";
import { IDENTITY_TTL_MS } from "./apikeys/auth.js";
import { TtlCache } from "./cache.js";
import type { Services } from "./context.js";

export function createCaches(): Services["caches"] {
  return { apiKeys: new TtlCache<ApiKeyAuth>(IDENTITY_TTL_MS) };
}
