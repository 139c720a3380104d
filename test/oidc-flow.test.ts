import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { chooseAccount, startDevIssuer, subjectFor, type DevIssuer, type TokenFault } from "../dev/oidc-issuer/index.js";
import { startAuthorization, callbackUrl } from "../lib/oidc/authorize.js";
import { OidcCache } from "../lib/oidc/cache.js";
import { completeAuthorization } from "../lib/oidc/complete.js";
import { discover } from "../lib/oidc/discovery.js";
import { exchangeCode } from "../lib/oidc/exchange.js";
import type { FlowPurpose } from "../lib/oidc/flow.js";
import { OidcRefusal, type RefusalReason } from "../lib/oidc/refusal.js";
import { REDIS_URL } from "./support/servers.js";
import { createTestStack, type TestStack } from "./support/stack.js";

/**
 * lib/oidc against the development issuer over real HTTP, state in the suite's own
 * Redis prefix: the whole code flow, then each way a sign-in must be refused.
 */
const CLIENT_ID = "sandesh-flow.apps.googleusercontent.com";
const CLIENT_SECRET = "GOCSPX-flow-test-secret-0123";
let issuer: DevIssuer;
let other: DevIssuer;
let stack: TestStack;

beforeAll(async () => {
  issuer = await startDevIssuer();
  other = await startDevIssuer();
  stack = await createTestStack({ GOOGLE_CLIENT_ID: CLIENT_ID, GOOGLE_CLIENT_SECRET: CLIENT_SECRET, OIDC_ISSUER: issuer.url });
  for (const i of [issuer, other]) i.registerClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [callbackUrl(stack.services)] });
});
afterAll(async () => {
  await stack?.close();
  await issuer?.close();
  await other?.close();
});
beforeEach(() => {
  // Each test starts with cold keys: the cooldown test counts fetches from zero.
  stack.services.caches.oidc = new OidcCache({ keyCooldownMs: 0 });
});

/** Start in this "browser", pick the account at the issuer, come back: what the callback route receives. */
async function signIn(account: { email: string; email_verified?: boolean; sub?: string }, purpose: FlowPurpose = { kind: "sign-in" }) {
  const started = await startAuthorization(stack.services, { purpose });
  const back = new URL(await chooseAccount(started.url, account));
  return { binding: started.binding, state: back.searchParams.get("state") ?? undefined, code: back.searchParams.get("code") ?? undefined, error: back.searchParams.get("error") ?? undefined, iss: back.searchParams.get("iss") ?? undefined, authorizeUrl: new URL(started.url) };
}

async function refusal(p: Promise<unknown>): Promise<RefusalReason> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof OidcRefusal)) throw new Error(`expected a refusal, got ${String(err)}`);
  return err.reason;
}

const withFault = async (fault: TokenFault, account = { email: "fault@example.com" }) => {
  const cb = await signIn(account);
  issuer.misissueNext(fault);
  return refusal(completeAuthorization(stack.services, cb));
};

describe("lib/oidc: the code flow", () => {
  it("sends the browser with PKCE S256, state and nonce, and comes back with the verified identity and the attempt's purpose", async () => {
    const cb = await signIn({ email: "meera@example.com" }, { kind: "invitation", token: "inv-token-1" });
    const q = cb.authorizeUrl.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({ response_type: "code", client_id: CLIENT_ID, redirect_uri: "http://localhost:8787/app/auth/google/callback", scope: "openid email", code_challenge_method: "S256", prompt: "select_account" });
    expect(q.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cb.binding).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const done = await completeAuthorization(stack.services, cb);
    expect(done).toEqual({ identity: { issuer: issuer.url, subject: subjectFor("meera@example.com"), email: "meera@example.com" }, purpose: { kind: "invitation", token: "inv-token-1" } });
    expect(issuer.tokenRequests.at(-1)).toMatchObject({ clientAuth: "client_secret_post", status: 200 });
  });

  it("keeps the attempt in Redis for at most 10 minutes, under the hash of its state, and never the state itself", async () => {
    const cb = await signIn({ email: "ttl@example.com" });
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${stack.config.redis.prefix}oidc:flow:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) {
        expect(await redis.ttl(k)).toBeGreaterThan(0);
        expect(await redis.ttl(k)).toBeLessThanOrEqual(600);
        expect(k).not.toContain(cb.state!);
        expect(await redis.get(k)).not.toContain(cb.binding);
      }
    } finally {
      redis.disconnect();
    }
  });

  it("refuses a state used twice, an unknown state, and a state brought by another browser", async () => {
    const cb = await signIn({ email: "replay@example.com" });
    await completeAuthorization(stack.services, cb);
    expect(await refusal(completeAuthorization(stack.services, cb))).toBe("flow_unknown");
    expect(await refusal(completeAuthorization(stack.services, { ...cb, state: "made-up-state" }))).toBe("flow_unknown");
    expect(await refusal(completeAuthorization(stack.services, { ...cb, state: undefined }))).toBe("flow_unknown");
    const mine = await signIn({ email: "victim@example.com" });
    const theirs = await startAuthorization(stack.services, { purpose: { kind: "sign-in" } });
    expect(await refusal(completeAuthorization(stack.services, { ...mine, binding: theirs.binding }))).toBe("flow_binding");
    expect(await refusal(completeAuthorization(stack.services, { ...mine, binding: undefined }))).toBe("flow_unknown"); // the wrong browser's try used it up
    const fresh = await signIn({ email: "nocookie@example.com" });
    expect(await refusal(completeAuthorization(stack.services, { ...fresh, binding: undefined }))).toBe("flow_binding");
  });

  it("reports the issuer's error (the person cancelled) and uses up the state", async () => {
    const started = await startAuthorization(stack.services, { purpose: { kind: "sign-in" } });
    const back = new URL(await chooseAccount(started.url, { email: "x@example.com" }, "deny"));
    const cb = { binding: started.binding, state: back.searchParams.get("state")!, error: back.searchParams.get("error")! };
    expect(await refusal(completeAuthorization(stack.services, cb))).toBe("provider_error");
    expect(await refusal(completeAuthorization(stack.services, cb))).toBe("flow_unknown");
  });

  it("refuses an authorization response that names another issuer (RFC 9207), before the code is spent", async () => {
    const cb = await signIn({ email: "mixup@example.com" });
    const before = issuer.tokenRequests.length;
    expect(await refusal(completeAuthorization(stack.services, { ...cb, iss: other.url }))).toBe("issuer_mismatch");
    expect(issuer.tokenRequests.length).toBe(before);
  });

  it("refuses an account whose email Google has not verified", async () => {
    const cb = await signIn({ email: "unverified@example.com", email_verified: false });
    expect(await refusal(completeAuthorization(stack.services, cb))).toBe("email_unverified");
  });
});

describe("lib/oidc: ID tokens it refuses", () => {
  it("from another issuer", async () => {
    expect(await withFault({ claims: { iss: other.url } })).toBe("issuer_mismatch");
    expect(await withFault({ claims: { iss: "https://accounts.google.com" } })).toBe("issuer_mismatch");
  });

  it("for another audience, and with several audiences when azp is not ours", async () => {
    expect(await withFault({ claims: { aud: "someone-else.apps.googleusercontent.com", azp: "someone-else.apps.googleusercontent.com" } })).toBe("audience_mismatch");
    expect(await withFault({ claims: { aud: [CLIENT_ID, "someone-else"], azp: "someone-else" } })).toBe("audience_mismatch");
  });

  it("expired, or without exp", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await withFault({ claims: { iat: now - 7200, exp: now - 3600 } })).toBe("expired");
    expect(await withFault({ claims: { exp: undefined } })).toBe("claims_missing");
  });

  it("with a stale nonce (another attempt's), a wrong one, or none", async () => {
    const earlier = await signIn({ email: "stale@example.com" });
    const staleNonce = earlier.authorizeUrl.searchParams.get("nonce")!;
    expect(await withFault({ claims: { nonce: staleNonce } })).toBe("nonce_mismatch");
    expect(await withFault({ claims: { nonce: "n".repeat(43) } })).toBe("nonce_mismatch");
    expect(await withFault({ claims: { nonce: undefined } })).toBe("nonce_mismatch");
  });

  it("saying email_verified false even for an account the page verified", async () => {
    expect(await withFault({ claims: { email_verified: false } })).toBe("email_unverified");
    expect(await withFault({ claims: { email_verified: undefined } })).toBe("email_unverified");
  });

  it("signed by a key the issuer does not publish, unsigned (alg none), or HS256 keyed with the public key", async () => {
    expect(await withFault({ unpublishedKey: true })).toBe("id_token_invalid");
    expect(await withFault({ alg: "none" })).toBe("id_token_invalid");
    expect(await withFault({ alg: "HS256" })).toBe("id_token_invalid");
  });

  it("without sub or email", async () => {
    expect(await withFault({ claims: { sub: undefined } })).toBe("claims_missing");
    expect(await withFault({ claims: { email: undefined } })).toBe("claims_missing");
  });
});

describe("lib/oidc: the token endpoint and the issuer's keys", () => {
  it("sends the PKCE verifier: without it, or with another, the issuer refuses the code (invalid_grant)", async () => {
    const provider = await discover(stack.services, issuer.url);
    const client = stack.config.google!;
    for (const verifier of ["", "v".repeat(43)]) {
      const cb = await signIn({ email: "pkce@example.com" });
      const err = await exchangeCode(provider, client, { code: cb.code!, verifier, redirectUri: callbackUrl(stack.services) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OidcRefusal);
      expect((err as OidcRefusal).reason).toBe("token_refused");
      expect((err as OidcRefusal).detail).toBe("400 invalid_grant");
    }
  });

  it("is refused by the token endpoint with a wrong client secret (invalid_client), and the refusal names no secret or code", async () => {
    const cb = await signIn({ email: "secret@example.com" });
    const provider = await discover(stack.services, issuer.url);
    const err = (await exchangeCode(provider, { ...stack.config.google!, clientSecret: "GOCSPX-wrong-secret" }, { code: cb.code!, verifier: "v".repeat(43), redirectUri: callbackUrl(stack.services) }).catch((e: unknown) => e)) as OidcRefusal;
    expect([err.reason, err.detail]).toEqual(["token_refused", "401 invalid_client"]);
    expect(err.message).not.toContain(cb.code!);
    expect(err.message).not.toContain("GOCSPX");
  });

  it("picks up a rotated key: a token under a kid it has not seen fetches the JWKS again, and a key that left the JWKS is refused", async () => {
    await completeAuthorization(stack.services, await signIn({ email: "rot1@example.com" }));
    expect(issuer.jwksFetches).toBeGreaterThan(0);
    const fetchesBefore = issuer.jwksFetches;
    await completeAuthorization(stack.services, await signIn({ email: "rot2@example.com" }));
    expect(issuer.jwksFetches).toBe(fetchesBefore); // cached while the kid is known
    const { kid } = await issuer.rotateKeys();
    const done = await completeAuthorization(stack.services, await signIn({ email: "rot3@example.com" }));
    expect(done.identity.email).toBe("rot3@example.com");
    expect(issuer.jwksFetches).toBe(fetchesBefore + 1);
    expect(issuer.publishedKids()[0]).toBe(kid);
  });

  it("fetches the JWKS at most once per cooldown however many unknown kids arrive", async () => {
    stack.services.caches.oidc = new OidcCache(); // jose's 30 s cooldown
    await completeAuthorization(stack.services, await signIn({ email: "cool@example.com" }));
    const fetches = issuer.jwksFetches;
    for (let i = 0; i < 5; i++) expect(await withFault({ unpublishedKey: true })).toBe("id_token_invalid");
    expect(issuer.jwksFetches).toBe(fetches);
  });

  it("refuses a discovery document that names another issuer than the configured one", async () => {
    const alias = issuer.url.replace("127.0.0.1", "localhost");
    expect(await refusal(discover(stack.services, alias))).toBe("discovery_invalid");
  });
});
