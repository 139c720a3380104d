import { Hono, type Context } from "hono";
import { createHash } from "node:crypto";
import { b64url, forge, random, sameText, sign, signingKey } from "./jwt.js";
import { VERIFIER } from "./pkce.js";
import type { IssuerState, TokenRequest } from "./types.js";

const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));

const tokenError = (c: Context, status: 400 | 401, error: string, description: string, basic = false) => {
  c.header("Cache-Control", "no-store");
  c.header("Pragma", "no-cache");
  if (basic && status === 401) c.header("WWW-Authenticate", 'Basic realm="token"');
  return c.json({ error, error_description: description }, status);
};

/**
 * POST /token: client authentication (HTTP Basic or in the body, exactly one), the
 * code's redemption (once, by its client, with its redirect URI and PKCE verifier) and
 * the access and ID tokens, with any fault queued for this answer laid over them.
 */
export function tokenRoute(st: IssuerState): Hono {
  const app = new Hono();

  app.post("/token", async (c) => {
    const record = (r: Omit<TokenRequest, "grantType" | "clientAuth">, grantType: string | undefined, clientAuth: TokenRequest["clientAuth"]) => st.tokenRequests.push({ grantType, clientAuth, ...r });
    if (!(c.req.header("content-type") ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      record({ status: 400, error: "invalid_request" }, undefined, "none");
      return tokenError(c, 400, "invalid_request", "Invalid Content-Type: the token request is application/x-www-form-urlencoded");
    }
    const form = new URLSearchParams(await c.req.text());
    const grantType = form.get("grant_type") ?? undefined;

    // Client authentication: exactly one of HTTP Basic (RFC 6749 2.3.1: each part
    // form-encoded, then base64) or client_id + client_secret in the body.
    const authz = c.req.header("authorization");
    let clientAuth: TokenRequest["clientAuth"] = "none";
    let clientId = form.get("client_id") ?? undefined;
    let secret = form.get("client_secret") ?? undefined;
    if (authz?.toLowerCase().startsWith("basic ")) {
      if (secret !== undefined) {
        record({ status: 400, error: "invalid_request" }, grantType, "client_secret_basic");
        return tokenError(c, 400, "invalid_request", "Client authentication must use one method only");
      }
      const decoded = Buffer.from(authz.slice(6).trim(), "base64").toString("utf8");
      const i = decoded.indexOf(":");
      try {
        const basicId = formDecode(i < 0 ? decoded : decoded.slice(0, i));
        if (clientId !== undefined && clientId !== basicId) throw new Error("two client ids");
        clientId = basicId;
        secret = i < 0 ? "" : formDecode(decoded.slice(i + 1));
      } catch {
        record({ status: 401, error: "invalid_client" }, grantType, "client_secret_basic");
        return tokenError(c, 401, "invalid_client", "Unauthorized", true);
      }
      clientAuth = "client_secret_basic";
    } else if (secret !== undefined) {
      clientAuth = "client_secret_post";
    }
    const client = clientId ? st.clients.get(clientId) : undefined;
    if (!client || secret === undefined || !sameText(secret, client.clientSecret)) {
      record({ status: 401, error: "invalid_client" }, grantType, clientAuth);
      return tokenError(c, 401, "invalid_client", "Unauthorized", clientAuth === "client_secret_basic");
    }
    if (grantType !== "authorization_code") {
      record({ status: 400, error: "unsupported_grant_type" }, grantType, clientAuth);
      return tokenError(c, 400, "unsupported_grant_type", `Invalid grant_type: ${grantType ?? ""}`);
    }
    const code = form.get("code");
    if (!code) {
      record({ status: 400, error: "invalid_request" }, grantType, clientAuth);
      return tokenError(c, 400, "invalid_request", "Missing required parameter: code");
    }
    const issued = st.codes.get(code);
    const fail = (error: string, description: string) => {
      record({ status: 400, error }, grantType, clientAuth);
      return tokenError(c, 400, error, description);
    };
    if (!issued) return fail("invalid_grant", "Malformed auth code.");
    if (issued.used) {
      // RFC 6749 4.1.2: a code used twice revokes what it was exchanged for.
      for (const t of issued.accessTokens) st.accessTokens.delete(t);
      return fail("invalid_grant", "Bad Request");
    }
    if (issued.expires <= st.now() || issued.clientId !== client.clientId) return fail("invalid_grant", "Bad Request");
    if (form.get("redirect_uri") !== issued.redirectUri) return fail("redirect_uri_mismatch", "Bad Request");
    const verifier = form.get("code_verifier");
    if (issued.codeChallenge) {
      if (!verifier) return fail("invalid_grant", "Missing code verifier.");
      const expected = issued.codeChallengeMethod === "S256" ? b64url(createHash("sha256").update(verifier, "ascii").digest()) : verifier;
      if (!VERIFIER.test(verifier) || !sameText(expected, issued.codeChallenge)) return fail("invalid_grant", "Invalid code verifier.");
    } else if (verifier) {
      return fail("invalid_grant", "Invalid code verifier.");
    }
    issued.used = true;

    const accessToken = `ya29.${random(60)}`;
    issued.accessTokens.push(accessToken);
    st.accessTokens.set(accessToken, { account: issued.account, expires: st.now() + st.tokenTtlS * 1000, scope: issued.scope });
    const iat = Math.floor(st.now() / 1000);
    const a = issued.account;
    const profile = issued.scope.split(" ").includes("profile") && a.name ? { name: a.name, given_name: a.name.split(" ")[0] } : {};
    let claims: Record<string, unknown> = {
      iss: st.url,
      azp: client.clientId,
      aud: client.clientId,
      sub: a.sub,
      ...(a.hd ? { hd: a.hd } : {}),
      email: a.email,
      email_verified: a.email_verified,
      at_hash: b64url(createHash("sha256").update(accessToken).digest().subarray(0, 16)),
      ...(issued.nonce ? { nonce: issued.nonce } : {}),
      ...profile,
      iat,
      exp: iat + st.tokenTtlS,
    };
    const fault = st.faults.shift();
    if (fault?.claims) {
      claims = { ...claims, ...fault.claims };
      for (const [k, v] of Object.entries(fault.claims)) if (v === undefined) delete claims[k];
    }
    const key = await signingKey(st, fault?.unpublishedKey);
    const idToken = fault?.alg ? await forge(claims, key, fault.alg) : await sign(claims, key);
    record({ status: 200 }, grantType, clientAuth);
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    return c.json({ access_token: accessToken, expires_in: st.tokenTtlS - 1, scope: issued.scope, token_type: "Bearer", id_token: idToken });
  });

  return app;
}
