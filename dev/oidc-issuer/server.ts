import { serve } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { SignJWT } from "jose";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { accountOf, type DevAccount } from "./accounts.js";
import { discoveryDocument } from "./discovery.js";
import { generateSigningKey, KeyRing, type SigningKey } from "./keys.js";
import { consentPage, errorPage } from "./page.js";

/**
 * A local OpenID Connect issuer that speaks Google's side of the authorization code
 * flow: discovery, JWKS (with rotation), the authorization endpoint (an account chooser
 * in place of Google's sign-in), the token endpoint (client_secret_post and
 * client_secret_basic, PKCE S256 and plain) and RS256 ID tokens with Google's claims.
 * Errors are Google's: `invalid_client` 401, `invalid_grant`, `redirect_uri_mismatch`,
 * `unsupported_grant_type`, `invalid_request` 400, as JSON `{error, error_description}`.
 * `/_dev/*` routes are for people driving it by hand (it binds to 127.0.0.1).
 */
export interface DevClient {
  clientId: string;
  clientSecret: string;
  /** Exact matches only, as Google compares them. */
  redirectUris: string[];
}

export interface DevIssuerOptions {
  clients?: DevClient[];
  port?: number;
  host?: string;
  /** ID and access tokens live this long (Google: 3600 s). */
  tokenTtlS?: number;
  /** Authorization codes live this long (default 600 s). */
  codeTtlS?: number;
  /** Milliseconds since the epoch; the system clock unless a test moves it. */
  now?: () => number;
  /** JWKS `Cache-Control: max-age` (Google sends several hours). */
  jwksMaxAgeS?: number;
}

/** A token mis-issued on purpose: what a broken or hostile issuer (or a replayed response) would hand over. */
export interface TokenFault {
  /** Claims laid over the ones the issuer would sign (`undefined` removes a claim). */
  claims?: Record<string, unknown>;
  /** Sign with a key the JWKS never lists. */
  unpublishedKey?: boolean;
  /**
   * The classic forgeries: `none` (unsigned) or `HS256` keyed with the published public
   * key's JSON, under the current `kid`.
   */
  alg?: "none" | "HS256";
}

export interface TokenRequest {
  grantType: string | undefined;
  clientAuth: "client_secret_post" | "client_secret_basic" | "none";
  status: number;
  error?: string;
}

export interface DevIssuer {
  /** The issuer identifier (`iss`) and base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  registerClient(client: DevClient): void;
  /** A new key signs from now on; the previous one stays in the JWKS for `keepPreviousMs` (default 2 h). */
  rotateKeys(keepPreviousMs?: number): Promise<{ kid: string; previousKid: string }>;
  /** Removes a key that no longer signs from the JWKS now. */
  retireKey(kid: string): boolean;
  /** kids in the JWKS, the signing key first. */
  publishedKids(): string[];
  /** The next token answers carry these faults, one per answer, in order. */
  misissueNext(...faults: TokenFault[]): void;
  /** With an account set, the authorization endpoint approves at once as that account, without the page. */
  autoApprove(account?: Partial<DevAccount> & { email: string }): void;
  /** Signs an ID token outside the flow (the claims as given, plus iat/exp when absent). */
  signIdToken(claims: Record<string, unknown>, opts?: { unpublishedKey?: boolean }): Promise<string>;
  /** GETs of the JWKS so far. */
  readonly jwksFetches: number;
  readonly tokenRequests: TokenRequest[];
  close(): Promise<void>;
}

interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  scope: string;
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: "S256" | "plain";
  responseMode: "query" | "form_post";
  expires: number;
}

interface IssuedCode extends PendingAuthorization {
  account: DevAccount;
  used: boolean;
  accessTokens: string[];
}

const b64url = (bytes: Buffer) => bytes.toString("base64url");
const random = (n: number) => b64url(randomBytes(n));
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

async function forge(claims: Record<string, unknown>, key: SigningKey, alg: "none" | "HS256"): Promise<string> {
  if (alg === "HS256") {
    return new SignJWT(claims).setProtectedHeader({ alg, kid: key.kid, typ: "JWT" }).sign(new TextEncoder().encode(JSON.stringify(key.publicJwk)));
  }
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none", kid: key.kid, typ: "JWT" })}.${part(claims)}.`;
}

const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));

export async function startDevIssuer(opts: DevIssuerOptions = {}): Promise<DevIssuer> {
  const now = opts.now ?? Date.now;
  const tokenTtlS = opts.tokenTtlS ?? 3600;
  const codeTtlS = opts.codeTtlS ?? 600;
  const keys = await KeyRing.create(now);
  const clients = new Map<string, DevClient>((opts.clients ?? []).map((c) => [c.clientId, c]));
  const pending = new Map<string, PendingAuthorization>();
  const codes = new Map<string, IssuedCode>();
  const accessTokens = new Map<string, { account: DevAccount; expires: number; scope: string }>();
  const faults: TokenFault[] = [];
  const tokenRequests: TokenRequest[] = [];
  let unpublished: SigningKey | undefined;
  let auto: DevAccount | undefined;
  let jwksFetches = 0;
  let url = "";

  const sign = async (claims: Record<string, unknown>, key: SigningKey) =>
    new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" }).sign(key.privateKey);

  const tokenError = (c: Context, status: 400 | 401, error: string, description: string, basic = false) => {
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    if (basic && status === 401) c.header("WWW-Authenticate", 'Basic realm="token"');
    return c.json({ error, error_description: description }, status);
  };

  /** Back to the client with code or error: query string, or an auto-submitting form (response_mode=form_post). */
  const answerClient = (c: Context, p: PendingAuthorization, params: Record<string, string>) => {
    const all = { ...(p.state !== undefined ? { state: p.state } : {}), ...params, iss: url };
    if (p.responseMode === "form_post") {
      const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
      const inputs = Object.entries(all).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join("");
      return c.html(`<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" action="${esc(p.redirectUri)}">${inputs}<noscript><button>Continue</button></noscript></form></body></html>`);
    }
    const target = new URL(p.redirectUri);
    for (const [k, v] of Object.entries(all)) target.searchParams.set(k, v);
    return c.redirect(target.toString(), 302);
  };

  const issueCode = (c: Context, p: PendingAuthorization, account: DevAccount) => {
    const code = `4/0${random(48)}`;
    codes.set(code, { ...p, account, used: false, accessTokens: [], expires: now() + codeTtlS * 1000 });
    return answerClient(c, p, { code, scope: p.scope, authuser: "0", prompt: "consent" });
  };

  const app = new Hono();

  app.get("/.well-known/openid-configuration", (c) => {
    c.header("Cache-Control", "public, max-age=3600");
    return c.json(discoveryDocument(url));
  });

  app.get("/oauth2/v3/certs", (c) => {
    jwksFetches++;
    c.header("Cache-Control", `public, max-age=${opts.jwksMaxAgeS ?? 21600}, must-revalidate, no-transform`);
    return c.json({ keys: keys.published().map((k) => k.publicJwk) });
  });

  app.get("/o/oauth2/v2/auth", (c) => {
    const q = c.req.query();
    const client = q.client_id ? clients.get(q.client_id) : undefined;
    // Google never redirects to a client it cannot vouch for: these two are a page.
    if (!client) return c.html(errorPage("invalid_client", "The OAuth client was not found."), 401);
    if (!q.redirect_uri || !client.redirectUris.includes(q.redirect_uri)) {
      return c.html(errorPage("redirect_uri_mismatch", "The redirect URI in the request does not match the ones authorized for the OAuth client."), 400);
    }
    const p: PendingAuthorization = {
      clientId: client.clientId,
      redirectUri: q.redirect_uri,
      scope: q.scope ?? "",
      ...(q.state !== undefined ? { state: q.state } : {}),
      ...(q.nonce ? { nonce: q.nonce } : {}),
      responseMode: q.response_mode === "form_post" ? "form_post" : "query",
      expires: now() + codeTtlS * 1000,
    };
    if (q.response_type !== "code") return answerClient(c, p, { error: "unsupported_response_type", error_description: "Only response_type=code is offered by the development issuer" });
    const scopes = p.scope.split(" ");
    if (!scopes.includes("openid")) return answerClient(c, p, { error: "invalid_scope", error_description: "Missing required scope: openid" });
    if (q.code_challenge_method && !q.code_challenge) return answerClient(c, p, { error: "invalid_request", error_description: "Missing code_challenge" });
    if (q.code_challenge) {
      const method = q.code_challenge_method ?? "plain";
      if (method !== "S256" && method !== "plain") return answerClient(c, p, { error: "invalid_request", error_description: `Invalid code_challenge_method: ${method}` });
      if (!VERIFIER.test(q.code_challenge)) return answerClient(c, p, { error: "invalid_request", error_description: "Invalid code_challenge" });
      p.codeChallenge = q.code_challenge;
      p.codeChallengeMethod = method;
    }
    if (auto) return issueCode(c, p, auto);
    const requestId = random(24);
    pending.set(requestId, p);
    return c.html(consentPage({ requestId, clientId: client.clientId, redirectHost: new URL(client.redirectUris[0] ?? p.redirectUri).host, ...(q.login_hint ? { loginHint: q.login_hint } : {}) }));
  });

  app.post("/o/oauth2/v2/auth/approve", async (c) => {
    const form = await c.req.parseBody();
    const requestId = typeof form.request === "string" ? form.request : "";
    const p = pending.get(requestId);
    pending.delete(requestId);
    if (!p || p.expires <= now()) return c.html(errorPage("invalid_request", "This sign-in request has expired; start again."), 400);
    if (form.action === "deny") return answerClient(c, p, { error: "access_denied" });
    const email = typeof form.email === "string" ? form.email.trim() : "";
    if (!email) return c.html(errorPage("invalid_request", "An email is required."), 400);
    const account = accountOf({
      email,
      email_verified: form.email_verified === "true",
      ...(typeof form.sub === "string" && form.sub.trim() ? { sub: form.sub } : {}),
      ...(typeof form.name === "string" && form.name.trim() ? { name: form.name.trim() } : {}),
    });
    return issueCode(c, p, account);
  });

  app.post("/token", async (c) => {
    const record = (r: Omit<TokenRequest, "grantType" | "clientAuth">, grantType: string | undefined, clientAuth: TokenRequest["clientAuth"]) => tokenRequests.push({ grantType, clientAuth, ...r });
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
    const client = clientId ? clients.get(clientId) : undefined;
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
    const issued = codes.get(code);
    const fail = (error: string, description: string) => {
      record({ status: 400, error }, grantType, clientAuth);
      return tokenError(c, 400, error, description);
    };
    if (!issued) return fail("invalid_grant", "Malformed auth code.");
    if (issued.used) {
      // RFC 6749 4.1.2: a code used twice revokes what it was exchanged for.
      for (const t of issued.accessTokens) accessTokens.delete(t);
      return fail("invalid_grant", "Bad Request");
    }
    if (issued.expires <= now() || issued.clientId !== client.clientId) return fail("invalid_grant", "Bad Request");
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
    accessTokens.set(accessToken, { account: issued.account, expires: now() + tokenTtlS * 1000, scope: issued.scope });
    const iat = Math.floor(now() / 1000);
    const a = issued.account;
    const profile = issued.scope.split(" ").includes("profile") && a.name ? { name: a.name, given_name: a.name.split(" ")[0] } : {};
    let claims: Record<string, unknown> = {
      iss: url,
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
      exp: iat + tokenTtlS,
    };
    const fault = faults.shift();
    if (fault?.claims) {
      claims = { ...claims, ...fault.claims };
      for (const [k, v] of Object.entries(fault.claims)) if (v === undefined) delete claims[k];
    }
    const key = fault?.unpublishedKey ? (unpublished ??= await generateSigningKey()) : keys.current;
    const idToken = fault?.alg ? await forge(claims, key, fault.alg) : await sign(claims, key);
    record({ status: 200 }, grantType, clientAuth);
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    return c.json({ access_token: accessToken, expires_in: tokenTtlS - 1, scope: issued.scope, token_type: "Bearer", id_token: idToken });
  });

  const userinfo = (c: Context) => {
    const auth = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
    const t = token ? accessTokens.get(token) : undefined;
    if (!t || t.expires <= now()) {
      c.header("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/", error="invalid_token"');
      return c.json({ error: "invalid_request", error_description: "Invalid Credentials" }, 401);
    }
    return c.json({ sub: t.account.sub, email: t.account.email, email_verified: t.account.email_verified, ...(t.account.name ? { name: t.account.name } : {}) });
  };
  app.get("/v1/userinfo", userinfo);
  app.post("/v1/userinfo", userinfo);

  app.post("/revoke", async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const token = form.get("token") ?? "";
    if (!accessTokens.delete(token)) return c.json({ error: "invalid_token", error_description: "Token expired or revoked" }, 400);
    return c.body(null, 200);
  });

  app.post("/device/code", (c) => c.json({ error: "invalid_client", error_description: "The device flow is not offered by the development issuer" }, 401));

  // By hand: rotate the signing key, or see which keys are published.
  app.post("/_dev/rotate", async (c) => {
    const keep = Number(c.req.query("keep_previous_s") ?? 7200);
    const previous = keys.current.kid;
    const next = await keys.rotate(keep * 1000);
    return c.json({ kid: next.kid, previous_kid: previous });
  });
  app.get("/_dev/keys", (c) => c.json({ kids: keys.published().map((k) => k.kid) }));

  app.notFound((c) => c.json({ error: "not_found" }, 404));

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: opts.host ?? "127.0.0.1" }, () => resolve(s));
    s.once("error", reject);
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url,
    registerClient: (client) => void clients.set(client.clientId, client),
    async rotateKeys(keepPreviousMs) {
      const previousKid = keys.current.kid;
      const next = await keys.rotate(keepPreviousMs);
      return { kid: next.kid, previousKid };
    },
    retireKey: (kid) => keys.retire(kid),
    publishedKids: () => keys.published().map((k) => k.kid),
    misissueNext: (...f) => void faults.push(...f),
    autoApprove(account) {
      auto = account ? accountOf(account) : undefined;
    },
    async signIdToken(claims, o = {}) {
      const iat = Math.floor(now() / 1000);
      const key = o.unpublishedKey ? (unpublished ??= await generateSigningKey()) : keys.current;
      return sign({ iat, exp: iat + tokenTtlS, ...claims }, key);
    },
    get jwksFetches() {
      return jwksFetches;
    },
    tokenRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
