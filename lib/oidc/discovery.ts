import * as v from "valibot";
import type { Services } from "../context.js";
import { OidcRefusal } from "./refusal.js";

/** What Sandesh reads from an issuer's discovery document. */
export interface OidcProvider {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
}

const Document = v.object({
  issuer: v.string(),
  authorization_endpoint: v.pipe(v.string(), v.url()),
  token_endpoint: v.pipe(v.string(), v.url()),
  jwks_uri: v.pipe(v.string(), v.url()),
  id_token_signing_alg_values_supported: v.optional(v.array(v.string())),
  code_challenge_methods_supported: v.optional(v.array(v.string())),
});

/** Google's document says max-age=3600; a changed endpoint is picked up within the hour. */
export const DISCOVERY_TTL_MS = 3600_000;

/**
 * `${issuer}/.well-known/openid-configuration`, fetched once per process (per isolate)
 * and kept an hour. The document's `issuer` must be exactly the configured one
 * (OpenID Connect Discovery 1.0, 4.3): a document naming another issuer is refused,
 * so nobody can swap Google's endpoints for theirs by answering at another URL.
 */
export async function discover(s: Services, issuer: string): Promise<OidcProvider> {
  const cache = s.caches.oidc.providers;
  const hit = cache.get(issuer);
  if (hit) return hit;
  const pending = fetchProvider(s, issuer);
  cache.set(issuer, pending);
  // A failed fetch is not remembered: the next sign-in tries again.
  pending.catch(() => cache.delete(issuer));
  return pending;
}

async function fetchProvider(s: Services, issuer: string): Promise<OidcProvider> {
  let res: Response;
  try {
    // Redirects are not followed (a 3xx is refused below); workerd has no redirect: "error".
    res = await fetch(`${issuer}/.well-known/openid-configuration`, { headers: { accept: "application/json" }, redirect: "manual", signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new OidcRefusal("provider_unreachable", `discovery: ${(err as Error).name}`);
  }
  if (res.status !== 200) throw new OidcRefusal("provider_unreachable", `discovery answered ${res.status}`);
  const parsed = v.safeParse(Document, await res.json().catch(() => null));
  if (!parsed.success) throw new OidcRefusal("discovery_invalid", "not a discovery document");
  const d = parsed.output;
  if (d.issuer !== issuer) throw new OidcRefusal("discovery_invalid", "the document names another issuer");
  if (d.id_token_signing_alg_values_supported && !d.id_token_signing_alg_values_supported.includes("RS256")) throw new OidcRefusal("discovery_invalid", "RS256 not offered");
  if (d.code_challenge_methods_supported && !d.code_challenge_methods_supported.includes("S256")) throw new OidcRefusal("discovery_invalid", "PKCE S256 not offered");
  // Codes and tokens travel to these: in production only over TLS.
  if (s.config.env === "production" && ![d.authorization_endpoint, d.token_endpoint, d.jwks_uri].every((u) => u.startsWith("https://"))) {
    throw new OidcRefusal("discovery_invalid", "an endpoint is not https");
  }
  return { issuer: d.issuer, authorizationEndpoint: d.authorization_endpoint, tokenEndpoint: d.token_endpoint, jwksUri: d.jwks_uri };
}
