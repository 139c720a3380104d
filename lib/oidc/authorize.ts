import { base64url } from "jose";
import type { Services } from "../context.js";
import { discover } from "./discovery.js";
import { randomToken, saveFlow, type FlowPurpose } from "./flow.js";
import { OidcRefusal } from "./refusal.js";

export interface GoogleClient {
  clientId: string;
  clientSecret: string;
  issuer: string;
}

export function googleClient(s: Services): GoogleClient {
  const g = s.config.google;
  if (!g) throw new OidcRefusal("not_configured");
  return g;
}

/** Where the issuer sends the browser back: one fixed URL, registered with Google as is. */
export const callbackUrl = (s: Services) => `${s.config.publicUrl}/app/auth/google/callback`;

/**
 * The authorization request: code flow, PKCE S256, state and nonce (each 256 random
 * bits), scope `openid email`. Answers the URL to send the browser to and the binding
 * for its cookie.
 */
export async function startAuthorization(
  s: Services,
  p: { purpose: FlowPurpose; loginHint?: string; binding?: string },
): Promise<{ url: string; binding: string }> {
  const client = googleClient(s);
  const provider = await discover(s, client.issuer);
  const verifier = randomToken();
  const nonce = randomToken();
  const challenge = base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  const redirectUri = callbackUrl(s);
  const { state, binding } = await saveFlow(s, { nonce, verifier, redirectUri, purpose: p.purpose }, p.binding);
  const url = new URL(provider.authorizationEndpoint);
  const q = url.searchParams;
  q.set("response_type", "code");
  q.set("client_id", client.clientId);
  q.set("redirect_uri", redirectUri);
  q.set("scope", "openid email");
  q.set("state", state);
  q.set("nonce", nonce);
  q.set("code_challenge", challenge);
  q.set("code_challenge_method", "S256");
  // Google otherwise signs in silently with whichever account the browser last used.
  q.set("prompt", "select_account");
  if (p.loginHint) q.set("login_hint", p.loginHint);
  return { url: url.toString(), binding };
}
