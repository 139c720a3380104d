import { afterAll, beforeAll, expect } from "vitest";
import { chooseAccount, startDevIssuer, type DevIssuer } from "../../dev/oidc-issuer/index.js";
import { totpCodeAt } from "../../lib/factors/totp.js";
import type { CookieBrowser } from "./cookie-browser.js";
import { serveLater } from "./served.js";
import { createTestStack, type TestStack } from "./stack.js";

export interface GoogleRig {
  issuer: DevIssuer;
  stack: TestStack;
  /** Sandesh's own origin, as the browser and the issuer know it. */
  base: string;
}

/**
 * Sandesh on a port of its own with Google sign-in pointed at the development issuer, which
 * knows this client, for the test file that calls it: started before its tests, closed after
 * them. Its parts are read inside tests, helpers and later hooks, not at the file's top (they
 * do not exist yet there). Each simulated browser gives its address in x-test-client-ip (the
 * sign-in limits are per address).
 */
export function useGoogleRig(clientId: string, clientSecret: string): GoogleRig {
  let started: (GoogleRig & { close(): Promise<void> }) | undefined;
  beforeAll(async () => {
    started = await startGoogleRig(clientId, clientSecret);
  });
  afterAll(() => started?.close());
  const rig = () => started ?? expect.fail("the Google rig is read before its tests start");
  return {
    get issuer() {
      return rig().issuer;
    },
    get stack() {
      return rig().stack;
    },
    get base() {
      return rig().base;
    },
  };
}

async function startGoogleRig(clientId: string, clientSecret: string) {
  const server = await serveLater((req) => req.headers.get("x-test-client-ip") ?? "127.0.0.1");
  const base = server.url;
  const issuer = await startDevIssuer({ clients: [{ clientId, clientSecret, redirectUris: [`${base}/app/auth/google/callback`] }] });
  const stack = await createTestStack({ PUBLIC_URL: base, GOOGLE_CLIENT_ID: clientId, GOOGLE_CLIENT_SECRET: clientSecret, OIDC_ISSUER: issuer.url });
  server.attach(stack);
  return {
    issuer,
    stack,
    base,
    async close() {
      await server.close();
      await stack.close();
      await issuer.close();
    },
  };
}

/** A JSON POST as the dashboard's script sends it: from Sandesh's origin, the CSRF token in its header. */
export const jsonPost = (base: string, b: CookieBrowser, csrf: string, path: string, body: object = {}) =>
  b.get(`${base}${path}`, { method: "POST", headers: { origin: base, "x-csrf-token": csrf, "content-type": "application/json" }, body: JSON.stringify(body) });

/** A Google sign-in in `b` as `email` through the development issuer's chooser; answers the session's CSRF token. */
export async function googleSignIn(base: string, b: CookieBrowser, email: string, start = "/app/auth/google/start"): Promise<string> {
  const started = await b.get(`${base}${start}`);
  const res = await b.get(await chooseAccount(started.headers.get("location")!, { email }));
  expect(res.status).toBe(303);
  const me = await b.get(`${base}/app/auth/session`);
  expect(me.status).toBe(200);
  return ((await me.json()) as { csrf_token: string }).csrf_token;
}

/** TOTP set up over JSON by a signed-in browser, as the set-up page does it: the secret, when its code was spent, and the new session's CSRF token. */
export async function enrolTotp(base: string, b: CookieBrowser, csrf: string): Promise<{ secret: string; enrolledAt: Date; csrf: string }> {
  const start = await jsonPost(base, b, csrf, "/app/auth/totp/enrol");
  expect(start.status).toBe(201);
  const { secret } = (await start.json()) as { secret: string };
  const enrolledAt = new Date();
  const confirm = await jsonPost(base, b, csrf, "/app/auth/totp/confirm", { code: totpCodeAt(secret, enrolledAt) });
  expect(confirm.status).toBe(200);
  return { secret, enrolledAt, csrf: ((await confirm.json()) as { csrf_token: string }).csrf_token };
}
