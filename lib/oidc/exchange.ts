import * as v from "valibot";
import type { GoogleClient } from "./authorize.js";
import type { OidcProvider } from "./discovery.js";
import { OidcRefusal } from "./refusal.js";

const TokenAnswer = v.object({ id_token: v.string(), token_type: v.optional(v.string()) });
const TokenError = v.object({ error: v.string() });

/**
 * The code for tokens at the token endpoint: client_secret_post (Google offers it and
 * client_secret_basic), the PKCE verifier, the same redirect URI. Only the ID token is
 * kept; the access token is not used and goes nowhere. Nothing of the request or the
 * answer is logged: the refusal carries the endpoint's error code alone.
 */
export async function exchangeCode(
  provider: OidcProvider,
  client: GoogleClient,
  p: { code: string; verifier: string; redirectUri: string },
): Promise<string> {
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code: p.code,
    redirect_uri: p.redirectUri,
    client_id: client.clientId,
    client_secret: client.clientSecret,
    code_verifier: p.verifier,
  });
  let res: Response;
  try {
    res = await fetch(provider.tokenEndpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new OidcRefusal("provider_unreachable", `token endpoint: ${(err as Error).name}`);
  }
  const json: unknown = await res.json().catch(() => null);
  if (res.status !== 200) {
    const e = v.safeParse(TokenError, json);
    // The endpoint's own error code (invalid_grant, invalid_client …) is safe to record; its description is not ours to trust.
    const code = e.success && /^[a-z_]{1,64}$/.test(e.output.error) ? e.output.error : "unreadable";
    throw new OidcRefusal(res.status >= 500 ? "provider_unreachable" : "token_refused", `${res.status} ${code}`);
  }
  const ok = v.safeParse(TokenAnswer, json);
  if (!ok.success) throw new OidcRefusal("token_refused", "no id_token in the answer");
  if (ok.output.token_type && ok.output.token_type.toLowerCase() !== "bearer") throw new OidcRefusal("token_refused", "token_type is not Bearer");
  return ok.output.id_token;
}
