import { createRemoteJWKSet } from "jose";
import { TtlCache } from "../cache.js";
import { DISCOVERY_TTL_MS, type OidcProvider } from "./discovery.js";

type RemoteKeys = ReturnType<typeof createRemoteJWKSet>;

export interface OidcCacheOptions {
  /**
   * After a JWKS fetch, how long a token with an unknown `kid` is refused without
   * fetching again (jose's default, 30 s): a flood of forged kids costs one fetch.
   */
  keyCooldownMs?: number;
  /** The JWKS is fetched again at least this often (jose's default, 10 min). */
  keyMaxAgeMs?: number;
}

/**
 * Per process (per isolate in a Worker): the discovery documents and the issuers'
 * key sets. jose's remote key set refetches when a token names a `kid` it does not
 * hold (a rotated key) and otherwise every `keyMaxAgeMs`; it runs on fetch, so the
 * same code serves Node and workerd.
 */
export class OidcCache {
  readonly providers = new TtlCache<Promise<OidcProvider>>(DISCOVERY_TTL_MS, 16);
  private readonly keySets = new Map<string, RemoteKeys>();

  constructor(private readonly opts: OidcCacheOptions = {}) {}

  keys(jwksUri: string): RemoteKeys {
    let set = this.keySets.get(jwksUri);
    if (!set) {
      set = createRemoteJWKSet(new URL(jwksUri), {
        cooldownDuration: this.opts.keyCooldownMs ?? 30_000,
        cacheMaxAge: this.opts.keyMaxAgeMs ?? 600_000,
        timeoutDuration: 5000,
      });
      if (this.keySets.size >= 16) this.keySets.clear();
      this.keySets.set(jwksUri, set);
    }
    return set;
  }
}
