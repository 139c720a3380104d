import { serve } from "@hono/node-server";
import { Hono, type Context } from "hono";
import type { AddressInfo } from "node:net";
import { accountOf } from "./accounts.js";
import { authorizeRoutes } from "./authorize.js";
import { discoveryDocument } from "./discovery.js";
import { sign, signingKey } from "./jwt.js";
import { KeyRing } from "./keys.js";
import { tokenRoute } from "./token.js";
import type { DevIssuer, DevIssuerOptions, IssuerState } from "./types.js";

export type { DevClient, DevIssuer, DevIssuerOptions, TokenFault, TokenRequest } from "./types.js";

/**
 * A local OpenID Connect issuer that speaks Google's side of the authorization code
 * flow: discovery, JWKS (with rotation), the authorization endpoint (an account chooser
 * in place of Google's sign-in), the token endpoint (client_secret_post and
 * client_secret_basic, PKCE S256 and plain) and RS256 ID tokens with Google's claims.
 * Errors are Google's: `invalid_client` 401, `invalid_grant`, `redirect_uri_mismatch`,
 * `unsupported_grant_type`, `invalid_request` 400, as JSON `{error, error_description}`.
 * `/_dev/*` routes are for people driving it by hand (it binds to 127.0.0.1).
 */
export async function startDevIssuer(opts: DevIssuerOptions = {}): Promise<DevIssuer> {
  const now = opts.now ?? Date.now;
  const st: IssuerState = {
    url: "",
    now,
    tokenTtlS: opts.tokenTtlS ?? 3600,
    codeTtlS: opts.codeTtlS ?? 600,
    keys: await KeyRing.create(now),
    clients: new Map((opts.clients ?? []).map((c) => [c.clientId, c])),
    pending: new Map(),
    codes: new Map(),
    accessTokens: new Map(),
    faults: [],
    tokenRequests: [],
  };
  let jwksFetches = 0;

  const app = new Hono();

  app.get("/.well-known/openid-configuration", (c) => {
    c.header("Cache-Control", "public, max-age=3600");
    return c.json(discoveryDocument(st.url));
  });

  app.get("/oauth2/v3/certs", (c) => {
    jwksFetches++;
    c.header("Cache-Control", `public, max-age=${opts.jwksMaxAgeS ?? 21600}, must-revalidate, no-transform`);
    return c.json({ keys: st.keys.published().map((k) => k.publicJwk) });
  });

  app.route("/", authorizeRoutes(st));
  app.route("/", tokenRoute(st));

  const userinfo = (c: Context) => {
    const auth = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
    const t = token ? st.accessTokens.get(token) : undefined;
    if (!t || t.expires <= st.now()) {
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
    if (!st.accessTokens.delete(token)) return c.json({ error: "invalid_token", error_description: "Token expired or revoked" }, 400);
    return c.body(null, 200);
  });

  app.post("/device/code", (c) => c.json({ error: "invalid_client", error_description: "The device flow is not offered by the development issuer" }, 401));

  // By hand: rotate the signing key, or see which keys are published.
  app.post("/_dev/rotate", async (c) => {
    const keep = Number(c.req.query("keep_previous_s") ?? 7200);
    const previous = st.keys.current.kid;
    const next = await st.keys.rotate(keep * 1000);
    return c.json({ kid: next.kid, previous_kid: previous });
  });
  app.get("/_dev/keys", (c) => c.json({ kids: st.keys.published().map((k) => k.kid) }));

  app.notFound((c) => c.json({ error: "not_found" }, 404));

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: opts.host ?? "127.0.0.1" }, () => resolve(s));
    s.once("error", reject);
  });
  const address = server.address() as AddressInfo;
  st.url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url: st.url,
    registerClient: (client) => void st.clients.set(client.clientId, client),
    async rotateKeys(keepPreviousMs) {
      const previousKid = st.keys.current.kid;
      const next = await st.keys.rotate(keepPreviousMs);
      return { kid: next.kid, previousKid };
    },
    retireKey: (kid) => st.keys.retire(kid),
    publishedKids: () => st.keys.published().map((k) => k.kid),
    misissueNext: (...f) => void st.faults.push(...f),
    autoApprove(account) {
      st.auto = account ? accountOf(account) : undefined;
    },
    async signIdToken(claims, o = {}) {
      const iat = Math.floor(st.now() / 1000);
      return sign({ iat, exp: iat + st.tokenTtlS, ...claims }, await signingKey(st, o.unpublishedKey));
    },
    get jwksFetches() {
      return jwksFetches;
    },
    tokenRequests: st.tokenRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
