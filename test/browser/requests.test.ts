import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, type SignedIn } from "../support/people-kit.js";
import { useBrowser } from "./harness/lifecycle.js";
import { startPlainOrigin, type PlainOrigin } from "./harness/origin.js";
import { addSessionCookie, sessionCookie } from "./harness/people.js";
import { startBrowserSandesh, type BrowserSandesh } from "./harness/sandesh.js";

/**
 * Requests a real browser makes to the dashboard: a state-changing one needs the
 * session's CSRF token (header or form field) and an Origin on the allow-list
 * (PUBLIC_URL + CORS_ORIGINS). The foreign page here is same-site with Sandesh
 * (localhost, another port), so Chromium does send the Lax session cookie with its
 * form post: only the Origin check stands between it and the session.
 */
const b = useBrowser();
let sandesh: BrowserSandesh;
let partner: PlainOrigin;
let foreign: PlainOrigin;
beforeAll(async () => {
  partner = await startPlainOrigin();
  foreign = await startPlainOrigin();
  sandesh = await startBrowserSandesh({ CORS_ORIGINS: partner.url });
});
afterAll(async () => {
  await sandesh?.stop();
  await partner?.close();
  await foreign?.close();
});

async function signedInPage(): Promise<{ page: Page; who: SignedIn; context: BrowserContext }> {
  const who = await signIn(sandesh.stack);
  const { context, page } = await b.device();
  await addSessionCookie(context, sandesh.url, who.token);
  return { page, who, context };
}

/** Whether the browser is still signed in, by the page it lands on when it opens /app/auth/session. */
async function signedIn(page: Page): Promise<boolean> {
  const res = await page.goto(`${sandesh.url}/app/auth/session`);
  if (res?.status() === 200 && new URL(page.url()).pathname === "/app/auth/session") return true;
  // No session: a page request is sent to sign-in (303), wherever that page stands.
  expect(new URL(page.url()).pathname).toBe("/app/sign-in");
  return false;
}

/** A plain HTML form the page builds and submits (no fetch): what a page without scripts of ours can send. */
function submitForm(page: Page, action: string, fields: Record<string, string>) {
  return Promise.all([
    page.waitForResponse((r) => r.url() === action && r.request().method() === "POST"),
    page.evaluate(
      ({ action, fields }) => {
        const form = document.createElement("form");
        form.method = "POST";
        form.action = action;
        for (const [name, value] of Object.entries(fields)) {
          const input = document.createElement("input");
          input.type = "hidden";
          input.name = name;
          input.value = value;
          form.append(input);
        }
        document.body.append(form);
        form.submit();
      },
      { action, fields },
    ),
  ]).then(([res]) => res);
}

describe("a state-changing request from the dashboard's own origin", () => {
  it("without the CSRF token is refused 403 (csrf_failed to fetch, a page saying so to the form), and the session stays; with it, it goes through", async () => {
    const { page, who, context } = await signedInPage();
    expect(await signedIn(page)).toBe(true);

    const bare = await page.evaluate(async () => {
      const r = await fetch("/app/auth/sign-out", { method: "POST" });
      return { status: r.status, body: await r.json() };
    });
    expect(bare).toMatchObject({ status: 403, body: { error: { code: "csrf_failed" } } });
    const wrong = await page.evaluate(async () => (await fetch("/app/auth/sign-out", { method: "POST", headers: { "x-csrf-token": "not-the-token" } })).status);
    expect(wrong).toBe(403);

    const form = await submitForm(page, `${sandesh.url}/app/auth/sign-out`, {});
    // The page's own form carries its own origin (Referrer-Policy same-origin; no-referrer would make it `null`).
    expect((await form.request().allHeaders()).origin).toBe(sandesh.url);
    expect(form.status()).toBe(403);
    // A plain form is answered with a page saying why (a fetch gets the JSON error, above).
    expect(form.headers()["content-type"]).toMatch(/^text\/html/);
    expect(await form.text()).toContain("This request needs the session&#39;s CSRF token");
    expect(await signedIn(page)).toBe(true);

    // The form again, now with the token in its hidden field, as the dashboard's pages send it: signed out for real.
    const out = await submitForm(page, `${sandesh.url}/app/auth/sign-out`, { csrf: who.csrf });
    expect(out.status()).toBe(303);
    expect(out.headers().location).toBe("/app/sign-in");
    // The cleared cookie is stored by the time the browser has followed the redirect.
    await page.waitForURL((u) => u.pathname === "/app/sign-in");
    expect(await sessionCookie(context, sandesh.url)).toBeUndefined();
    expect(await signedIn(page)).toBe(false);
    const row = await sandesh.stack.owner`select revoked_at from sessions where id = ${who.sessionId}`;
    expect(row[0]!.revoked_at).not.toBeNull();
  });
});

describe("a request from another origin", () => {
  it("a foreign page's form post is refused 403 (origin_forbidden, said on a page) although the cookie went with it and the token was right", async () => {
    const { page, who } = await signedInPage();
    await page.goto(`${foreign.url}/`);
    const res = await submitForm(page, `${sandesh.url}/app/auth/sign-out`, { csrf: who.csrf });
    expect(res.status()).toBe(403);
    expect(await res.text()).toContain("Requests from this origin are not allowed");
    const sent = await res.request().allHeaders();
    expect(sent.origin).toBe(foreign.url);
    expect(sent.cookie).toContain(`__Host-sandesh_session=${who.token}`);
    expect(await signedIn(page)).toBe(true);
  });

  it("a foreign page cannot read the session with credentials, nor pass the preflight of a scripted post; the allow-listed partner can", async () => {
    const { page, who } = await signedInPage();
    const fromPage = (target: string, csrf: string) =>
      page.evaluate(
        async ({ target, csrf }) => {
          const attempt = async (f: () => Promise<Response>) => {
            try {
              const r = await f();
              return { status: r.status, body: (await r.json()) as unknown };
            } catch (err) {
              return { blocked: (err as Error).name };
            }
          };
          return {
            read: await attempt(() => fetch(`${target}/app/auth/session`, { credentials: "include" })),
            post: await attempt(() => fetch(`${target}/app/sessions/revoke-others`, { method: "POST", credentials: "include", headers: { "x-csrf-token": csrf } })),
          };
        },
        { target, csrf },
      );

    await page.goto(`${foreign.url}/`);
    // CORS gives the foreign origin no header, so the browser withholds the answer; the preflight is refused.
    expect(await fromPage(sandesh.url, who.csrf)).toEqual({ read: { blocked: "TypeError" }, post: { blocked: "TypeError" } });

    await page.goto(`${partner.url}/`);
    const allowed = await fromPage(sandesh.url, who.csrf);
    expect(allowed.read).toMatchObject({ status: 200, body: { user: { id: who.userId }, session: { id: who.sessionId } } });
    expect(allowed.post).toMatchObject({ status: 200, body: { revoked: 0 } });
  });
});
