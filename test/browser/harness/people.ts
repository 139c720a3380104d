import type { BrowserContext, Page } from "playwright-core";
import { SESSION_COOKIE } from "../../../lib/sessions/auth.js";
import { sessionSetCookie } from "../../../lib/sessions/cookie.js";

const LANDING = "/__test-signed-in";

/**
 * A session made by lib/sessions (as every sign-in makes one) handed to a browser, for
 * scenarios about what a signed-in browser may do rather than how it signed in (the
 * ceremonies have their own scenarios). The cookie arrives the one way a `__Host-`
 * cookie can: in a Set-Cookie answer from the origin itself (Playwright's addCookies
 * names a Domain, which the prefix forbids), here the server's own header value on one
 * intercepted navigation that never reaches Sandesh.
 */
export async function addSessionCookie(context: BrowserContext, url: string, token: string): Promise<void> {
  const landing = `${url}${LANDING}`;
  await context.route(landing, (route) => route.fulfill({ status: 204, headers: { "set-cookie": sessionSetCookie(token, 3600) } }));
  const page = await context.newPage();
  await page.evaluate(() => 0);
  await page.goto(landing).catch(() => undefined);
  await page.close();
  await context.unroute(landing);
  if (!(await sessionCookie(context, url))) throw new Error("the browser did not keep the session cookie");
}

/** The session cookie as the browser holds it for `url`, if any. */
export async function sessionCookie(context: BrowserContext, url: string) {
  return (await context.cookies(url)).find((c) => c.name === SESSION_COOKIE);
}

export interface WhoAmI {
  user: { id: string; email: string };
  session: { id: string; method: string; user_verified: boolean };
  workspace: { id: string; role: string } | null;
}

/** The current session as the page's own scripts see it (GET /app/auth/session, from a dashboard page). */
export const whoAmI = (page: Page): Promise<WhoAmI> =>
  page.evaluate(async () => (await (await fetch("/app/auth/session", { headers: { accept: "application/json" } })).json()) as WhoAmI);
