import { Hono, type Context } from "hono";
import { accountOf, type DevAccount } from "./accounts.js";
import { random } from "./jwt.js";
import { consentPage, errorPage } from "./page.js";
import { VERIFIER } from "./pkce.js";
import type { IssuerState, PendingAuthorization } from "./types.js";

/**
 * The authorization endpoint: Google's checks of client, redirect URI, response type,
 * scope and PKCE parameters, then the account chooser (or an account approved in
 * advance), and the answer back to the client with a code or an error.
 */
export function authorizeRoutes(st: IssuerState): Hono {
  const app = new Hono();

  /** Back to the client with code or error: query string, or an auto-submitting form (response_mode=form_post). */
  const answerClient = (c: Context, p: PendingAuthorization, params: Record<string, string>) => {
    const all = { ...(p.state !== undefined ? { state: p.state } : {}), ...params, iss: st.url };
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
    st.codes.set(code, { ...p, account, used: false, accessTokens: [], expires: st.now() + st.codeTtlS * 1000 });
    return answerClient(c, p, { code, scope: p.scope, authuser: "0", prompt: "consent" });
  };

  app.get("/o/oauth2/v2/auth", (c) => {
    const q = c.req.query();
    const client = q.client_id ? st.clients.get(q.client_id) : undefined;
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
      expires: st.now() + st.codeTtlS * 1000,
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
    if (st.auto) return issueCode(c, p, st.auto);
    const requestId = random(24);
    st.pending.set(requestId, p);
    return c.html(consentPage({ requestId, clientId: client.clientId, redirectHost: new URL(client.redirectUris[0] ?? p.redirectUri).host, ...(q.login_hint ? { loginHint: q.login_hint } : {}) }));
  });

  app.post("/o/oauth2/v2/auth/approve", async (c) => {
    const form = await c.req.parseBody();
    const requestId = typeof form.request === "string" ? form.request : "";
    const p = st.pending.get(requestId);
    st.pending.delete(requestId);
    if (!p || p.expires <= st.now()) return c.html(errorPage("invalid_request", "This sign-in request has expired; start again."), 400);
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

  return app;
}
