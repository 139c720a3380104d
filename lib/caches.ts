import type { ApiKeyAuth } from "./apikeys/auth.js";
import { IDENTITY_TTL_MS, UNKNOWN_KEY_TTL_MS } from "./apikeys/auth.js";
import { TtlCache } from "./cache.js";
import type { Services } from "./context.js";
import { SENDERS_TTL_MS, type SenderSet } from "./messages/sender.js";
import type { NumberOwner } from "./ingest/owner.js";
import { OidcCache } from "./oidc/cache.js";
import type { CachedAllowlist } from "./network/allowlist.js";
import { ENDPOINTS_TTL_MS, type EndpointRoute } from "./webhooks/emit.js";

export function createCaches(): Services["caches"] {
  return {
    apiKeys: new TtlCache<ApiKeyAuth>(IDENTITY_TTL_MS),
    senders: new TtlCache<SenderSet>(SENDERS_TTL_MS),
    numbersByPhoneId: new TtlCache<NumberOwner | null>(SENDERS_TTL_MS),
    webhookEndpoints: new TtlCache<EndpointRoute[]>(ENDPOINTS_TTL_MS),
    unknownKeys: new TtlCache<"unknown" | "revoked">(UNKNOWN_KEY_TTL_MS, 50_000),
    keyLookups: new TtlCache<Promise<ApiKeyAuth>>(5_000),
    openWindows: new TtlCache<number>(60_000, 100_000),
    oidc: new OidcCache(),
    // Checked against the Redis stamp on every request; the TTL only bounds memory.
    allowlists: new TtlCache<CachedAllowlist>(300_000),
  };
}
