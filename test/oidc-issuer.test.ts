import * as oidc from "openid-client";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseAccount, startDevIssuer, subjectFor, type DevIssuer } from "../dev/oidc-issuer/index.js";

/**
 * The development issuer speaks Google's side of the code flow. openid-client (a
 * certified relying-party library, independent of Sandesh's own code) is the judge of
 * the happy path; the refusals are Google's error answers, checked over HTTP.
 */
const CLIENT = { clientId: "sandesh-test.apps.googleusercontent.com", clientSecret: "GOCSPX-issuer-test-secret", redirectUris: ["http://localhost:9999/app/auth/google/callback"] };
const REDIRECT = CLIENT.redirectUris[0]!;
let clock = Date.now();
let issuer: DevIssuer;

beforeAll(async () => {
  issuer = await startDevIssuer({ clients: [CLIENT], now: () => clock });
});
afterAll(async () => issuer?.close());

const configFor = (auth?: oidc.ClientAuth) =>
  oidc.discovery(new URL(issuer.url), CLIENT.clientId, CLIENT.clientSecret, auth, { execute: [oidc.allowInsecureRequests] });

/** An authorization request with PKCE S256, as a relying party sends it; answers the callback URL and what it kept. */
async function authorize(account: { email: string; email_verified?: boolean; sub?: string }, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = new URL(`${issuer.url}/o/oauth2/v2/auth`);
  const q = { response_type: "code", client_id: CLIENT.clientId, redirect_uri: REDIRECT, scope: "openid email", state, nonce, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", ...extra };
  for (const [k, v] of Object.entries(q)) url.searchParams.set(k, v);
  const callback = new URL(await chooseAccount(url.toString(), account));
  return { callback, verifier, state, nonce, code: callback.searchParams.get("code") ?? "" };
}

const tokenPost = (form: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${issuer.url}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(form) });

const exchangeForm = (a: { code: string; verifier: string }, over: Record<string, string> = {}) => ({
  grant_type: "authorization_code",
  code: a.code,
  redirect_uri: REDIRECT,
  client_id: CLIENT.clientId,
  client_secret: CLIENT.clientSecret,
  code_verifier: a.verifier,
  ...over,
});

describe("development OIDC issuer: Google's wire", () => {
  it("publishes Google's discovery fields, every endpoint on its own origin", async () => {
    const res = await fetch(`${issuer.url}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual(
      ["issuer", "authorization_endpoint", "authorization_response_iss_parameter_supported", "device_authorization_endpoint", "token_endpoint", "userinfo_endpoint", "revocation_endpoint", "jwks_uri", "response_types_supported", "response_modes_supported", "subject_types_supported", "id_token_signing_alg_values_supported", "scopes_supported", "token_endpoint_auth_methods_supported", "claims_supported", "code_challenge_methods_supported", "grant_types_supported"].sort(),
    );
    expect(doc.issuer).toBe(issuer.url);
    expect(doc.authorization_endpoint).toBe(`${issuer.url}/o/oauth2/v2/auth`);
    expect(doc.id_token_signing_alg_values_supported).toEqual(["RS256"]);
    expect(doc.token_endpoint_auth_methods_supported).toEqual(["client_secret_post", "client_secret_basic"]);
    expect(doc.code_challenge_methods_supported).toEqual(["plain", "S256"]);
  });

  it("completes openid-client's code flow with PKCE S256 and client_secret_post: an RS256 ID token with Google's claims", async () => {
    const config = await configFor();
    const a = await authorize({ email: "Asha@Example.com" });
    expect(a.callback.origin + a.callback.pathname).toBe(REDIRECT);
    expect(a.callback.searchParams.get("state")).toBe(a.state);
    expect(a.callback.searchParams.get("iss")).toBe(issuer.url);
    const tokens = await oidc.authorizationCodeGrant(config, a.callback, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce, idTokenExpected: true });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer.url, aud: CLIENT.clientId, azp: CLIENT.clientId, email: "Asha@Example.com", email_verified: true, nonce: a.nonce, sub: subjectFor("asha@example.com") });
    expect(claims.exp - claims.iat).toBe(3600);
    expect(claims.sub).toMatch(/^1\d{20}$/);
    const header = decodeProtectedHeader(tokens.id_token!);
    expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
    expect(issuer.publishedKids()).toContain(header.kid);
    // at_hash binds the ID token to the access token it came with.
    expect(decodeJwt(tokens.id_token!).at_hash).toBe(createHash("sha256").update(tokens.access_token).digest().subarray(0, 16).toString("base64url"));
    expect(issuer.tokenRequests.at(-1)).toMatchObject({ clientAuth: "client_secret_post", status: 200 });
    // The access token works at userinfo, as Google's does.
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info.email).toBe("Asha@Example.com");
  });

  it("takes client_secret_basic too, and names the account the page chose (sub, email_verified)", async () => {
    const config = await configFor(oidc.ClientSecretBasic(CLIENT.clientSecret));
    const a = await authorize({ email: "ravi@example.org", email_verified: false, sub: "109876543210987654321" });
    const tokens = await oidc.authorizationCodeGrant(config, a.callback, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
    expect(tokens.claims()).toMatchObject({ sub: "109876543210987654321", email_verified: false });
    expect(issuer.tokenRequests.at(-1)).toMatchObject({ clientAuth: "client_secret_basic", status: 200 });
  });

  it("answers a code once: the second exchange is invalid_grant", async () => {
    const a = await authorize({ email: "once@example.com" });
    expect((await tokenPost(exchangeForm(a))).status).toBe(200);
    const again = await tokenPost(exchangeForm(a));
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: "invalid_grant", error_description: "Bad Request" });
  });

  it("refuses a missing or wrong PKCE verifier with invalid_grant, and the code stays good for the right one", async () => {
    const a = await authorize({ email: "pkce@example.com" });
    const missing = await tokenPost(exchangeForm(a, { code_verifier: "" }));
    expect([missing.status, await missing.json()]).toEqual([400, { error: "invalid_grant", error_description: "Missing code verifier." }]);
    const wrong = await tokenPost(exchangeForm(a, { code_verifier: oidc.randomPKCECodeVerifier() }));
    expect([wrong.status, await wrong.json()]).toEqual([400, { error: "invalid_grant", error_description: "Invalid code verifier." }]);
    expect((await tokenPost(exchangeForm(a))).status).toBe(200);
  });

  it("refuses a wrong client secret (401 invalid_client), another redirect URI, an unknown code, a grant type it does not offer, and a code past its life", async () => {
    const a = await authorize({ email: "errors@example.com" });
    const secret = await tokenPost(exchangeForm(a, { client_secret: "GOCSPX-wrong" }));
    expect([secret.status, await secret.json()]).toEqual([401, { error: "invalid_client", error_description: "Unauthorized" }]);
    const basic = await tokenPost({ grant_type: "authorization_code", code: a.code, redirect_uri: REDIRECT, code_verifier: a.verifier }, { authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:nope`).toString("base64")}` });
    expect(basic.status).toBe(401);
    expect(basic.headers.get("www-authenticate")).toMatch(/^Basic/);
    const redirect = await tokenPost(exchangeForm(a, { redirect_uri: "http://localhost:9999/elsewhere" }));
    expect([redirect.status, ((await redirect.json()) as { error: string }).error]).toEqual([400, "redirect_uri_mismatch"]);
    const unknown = await tokenPost(exchangeForm(a, { code: "4/0nothing-like-it" }));
    expect([unknown.status, await unknown.json()]).toEqual([400, { error: "invalid_grant", error_description: "Malformed auth code." }]);
    const grant = await tokenPost(exchangeForm(a, { grant_type: "password" }));
    expect([grant.status, ((await grant.json()) as { error: string }).error]).toEqual([400, "unsupported_grant_type"]);
    expect((await tokenPost(exchangeForm(a))).headers.get("cache-control")).toBe("no-store");

    const late = await authorize({ email: "late@example.com" });
    clock += 601_000;
    const expired = await tokenPost(exchangeForm(late));
    expect([expired.status, ((await expired.json()) as { error: string }).error]).toEqual([400, "invalid_grant"]);
  });

  it("shows an error page, never a redirect, for an unknown client or an unregistered redirect URI; sends other errors back to the client", async () => {
    const base = { response_type: "code", client_id: CLIENT.clientId, redirect_uri: REDIRECT, scope: "openid email", state: "s1" };
    const at = (q: Record<string, string>) => fetch(`${issuer.url}/o/oauth2/v2/auth?${new URLSearchParams(q)}`, { redirect: "manual" });
    const client = await at({ ...base, client_id: "someone-else" });
    expect([client.status, (await client.text()).includes("invalid_client")]).toEqual([401, true]);
    const redirect = await at({ ...base, redirect_uri: "https://attacker.example/cb" });
    expect([redirect.status, (await redirect.text()).includes("redirect_uri_mismatch")]).toEqual([400, true]);
    const scope = await at({ ...base, scope: "email" });
    expect(scope.status).toBe(302);
    const back = new URL(scope.headers.get("location")!);
    expect([back.searchParams.get("error"), back.searchParams.get("state")]).toEqual(["invalid_scope", "s1"]);
    const method = await at({ ...base, code_challenge: "x".repeat(43), code_challenge_method: "S512" });
    expect(new URL(method.headers.get("location")!).searchParams.get("error")).toBe("invalid_request");
    const denied = new URL(await chooseAccount(`${issuer.url}/o/oauth2/v2/auth?${new URLSearchParams(base)}`, { email: "no@example.com" }, "deny"));
    expect([denied.searchParams.get("error"), denied.searchParams.get("code")]).toEqual(["access_denied", null]);
  });

  it("approves at once as a chosen account when told to, and answers with an auto-submitting form for response_mode=form_post", async () => {
    issuer.autoApprove({ email: "auto@example.com", sub: "100000000000000000042" });
    try {
      const q = new URLSearchParams({ response_type: "code", client_id: CLIENT.clientId, redirect_uri: REDIRECT, scope: "openid email", state: "auto-state", nonce: "auto-nonce" });
      const direct = await fetch(`${issuer.url}/o/oauth2/v2/auth?${q}`, { redirect: "manual" });
      expect(direct.status).toBe(302);
      const code = new URL(direct.headers.get("location")!).searchParams.get("code")!;
      const tokens = (await (await tokenPost({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret })).json()) as { id_token: string };
      expect(decodeJwt(tokens.id_token)).toMatchObject({ sub: "100000000000000000042", email: "auto@example.com", nonce: "auto-nonce" });
      q.set("response_mode", "form_post");
      const posted = await fetch(`${issuer.url}/o/oauth2/v2/auth?${q}`, { redirect: "manual" });
      const html = await posted.text();
      expect(posted.status).toBe(200);
      expect(html).toContain(`action="${REDIRECT}"`);
      expect(html).toMatch(/name="code" value="4\/0[^"]+"/);
      expect(html).toContain('name="state" value="auto-state"');
    } finally {
      issuer.autoApprove();
    }
  });

  it("rotates keys: the new key signs, the previous stays in the JWKS until its time is up or it is retired", async () => {
    const jwks = async () => ((await (await fetch(`${issuer.url}/oauth2/v3/certs`)).json()) as { keys: { kid: string; kty: string; alg: string; use: string; n: string; e: string }[] }).keys;
    const before = await jwks();
    expect(before[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig", e: "AQAB" });
    expect(Object.keys(before[0]!).sort()).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
    const { kid, previousKid } = await issuer.rotateKeys(60_000);
    expect((await jwks()).map((k) => k.kid)).toEqual([kid, previousKid]);
    const a = await authorize({ email: "rotated@example.com" });
    const tokens = (await (await tokenPost(exchangeForm(a))).json()) as { id_token: string };
    expect(decodeProtectedHeader(tokens.id_token).kid).toBe(kid);
    clock += 61_000;
    expect((await jwks()).map((k) => k.kid)).toEqual([kid]);
    const next = await issuer.rotateKeys();
    expect(issuer.retireKey(kid)).toBe(true);
    expect(issuer.retireKey(next.kid)).toBe(false); // the signing key cannot be withdrawn
    expect((await jwks()).map((k) => k.kid)).toEqual([next.kid]);
  });
});
