import type { Services } from "../context.js";
import { googleClient, type GoogleClient } from "./authorize.js";
import { discover } from "./discovery.js";
import { exchangeCode } from "./exchange.js";
import { takeFlow, type Flow, type FlowPurpose } from "./flow.js";
import { OidcRefusal } from "./refusal.js";
import { verifyIdToken, type VerifiedIdentity } from "./verify.js";

/**
 * The callback's protocol part: the attempt `state` names (single use, this browser's),
 * then the issuer's error if it sent one, then the code for an ID token, verified.
 * Answers who the person is at Google and what the attempt was for.
 */
export async function completeAuthorization(
  s: Services,
  p: { state?: string; code?: string; error?: string; iss?: string; binding?: string },
): Promise<{ identity: VerifiedIdentity; purpose: FlowPurpose }> {
  const client = googleClient(s);
  const flow = await takeFlow(s, p.state, p.binding);
  try {
    return { identity: await identify(s, client, flow, p), purpose: flow.purpose };
  } catch (err) {
    if (err instanceof OidcRefusal) {
      err.purpose = flow.purpose.kind;
      if (flow.purpose.kind === "link") err.userId = flow.purpose.userId;
    }
    throw err;
  }
}

async function identify(s: Services, client: GoogleClient, flow: Flow, p: { code?: string; error?: string; iss?: string }): Promise<VerifiedIdentity> {
  // RFC 9207: an issuer that names itself in the response must be ours (a code from another issuer never reaches our token endpoint).
  if (p.iss !== undefined && p.iss !== client.issuer) throw new OidcRefusal("issuer_mismatch", "authorization response from another issuer");
  if (p.error) throw new OidcRefusal("provider_error", /^[a-z_]{1,64}$/.test(p.error) ? p.error : "unreadable");
  if (!p.code || p.code.length > 2048) throw new OidcRefusal("token_refused", "no code");
  const provider = await discover(s, client.issuer);
  const idToken = await exchangeCode(provider, client, { code: p.code, verifier: flow.verifier, redirectUri: flow.redirectUri });
  return verifyIdToken(s, provider, client.clientId, idToken, flow.nonce);
}
