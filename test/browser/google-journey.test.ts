import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { createInvitation } from "../../lib/people/invite.js";
import { createWorkspace } from "../../lib/workspaces/workspaces.js";
import { uniqueEmail } from "../support/people-kit.js";
import { useBrowser } from "./harness/lifecycle.js";
import { useSandesh } from "./harness/sandesh.js";
import { whoAmI } from "./harness/people.js";
import { enrolOnSetupPage, enterNextCode } from "./harness/totp-app.js";

/**
 * Google sign-in in Chromium through the development OIDC issuer `npm start` runs when
 * no Google client is configured (dev/oidc-issuer): the browser really goes to the
 * issuer's account chooser and back (authorization code + PKCE, state, nonce, the
 * attempt bound to this browser by its cookie), the ID token verified with jose.
 */
const b = useBrowser();
const server = useSandesh();

/** On the issuer's account chooser: answer as `email` (verified unless said otherwise), or cancel. */
async function chooseAccount(page: Page, answer: { email?: string; verified?: boolean; cancel?: boolean }) {
  await page.waitForURL((u) => u.pathname === "/o/oauth2/v2/auth");
  expect(new URL(page.url()).origin).not.toBe(server().url);
  if (answer.cancel) return page.locator("#deny").click();
  if (answer.email !== undefined) await page.locator("#email").fill(answer.email);
  if (answer.verified === false) await page.locator("#email_verified").uncheck();
  await page.locator("#allow").click();
}

async function invited(role = "agent") {
  const ws = await createWorkspace(server().stack.services, `Google ${Date.now()}`);
  const email = uniqueEmail("google");
  const inv = await createInvitation(server().stack.services, { workspaceId: ws.id, email, role }, { actorType: "operator", actorId: "test" });
  return { workspaceId: ws.id, email, token: inv.token, link: inv.link };
}

describe("Google sign-in through the development issuer", () => {
  it("accepts an invitation with the invited (verified) Google account, then signs out and signs in again with Google", async () => {
    const inv = await invited();
    const { page, context } = await b.device();
    // The invitation page's Google way in.
    await page.goto(inv.link);
    await page.getByRole("link", { name: /Accept with Google/ }).click();
    // The chooser is asked for the invited address first.
    await page.waitForURL((u) => u.pathname === "/o/oauth2/v2/auth");
    expect(await page.locator("#email").inputValue()).toBe(inv.email);
    await chooseAccount(page, {});
    // A new workspace requires a second factor: a Google sign-in is held at set-up, with the way on.
    await page.waitForURL((u) => u.origin === server().url && u.pathname === "/app/security/setup");
    expect(new URL(page.url()).searchParams.get("next")).toBe("/app");
    const first = await whoAmI(page);
    expect(first).toMatchObject({ user: { email: inv.email }, session: { method: "google" }, workspace: { id: inv.workspaceId, role: "agent" } });
    const cookie = (await context.cookies(server().url)).find((c) => c.name === "__Host-sandesh_session");
    expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: "Lax", path: "/" });
    const { app } = await enrolOnSetupPage(page);
    await page.waitForURL((u) => u.origin === server().url && u.pathname === "/app");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((u) => u.pathname === "/app/sign-in");
    await page.getByRole("link", { name: "Sign in with Google" }).click();
    await chooseAccount(page, { email: inv.email });
    // Google again: the code from the app before anything else, then on to the overview.
    await page.waitForURL((u) => u.origin === server().url && u.pathname === "/app/security/setup");
    await enterNextCode(page, app);
    await page.waitForURL((u) => u.origin === server().url && u.pathname === "/app");
    const again = await whoAmI(page);
    expect(again).toMatchObject({ user: { email: inv.email }, session: { method: "google" } });
    expect(again.session.id).not.toBe(first.session.id);
    expect(await page.locator("main h1").textContent()).toMatch(/overview/i);
  });

  it("an unverified email, an account nobody invited, and a cancelled chooser all come back to sign-in refused, with no session", async () => {
    const inv = await invited();
    const { page, context } = await b.device();
    const refused = async () => {
      await page.waitForURL((u) => u.origin === server().url && u.pathname === "/app/sign-in");
      expect(new URL(page.url()).searchParams.get("error")).toBe("google_failed");
      await expectAlert(page);
      expect((await context.cookies(server().url)).find((c) => c.name === "__Host-sandesh_session")).toBeUndefined();
    };
    await page.goto(`${server().url}/app/auth/google/start?invitation=${inv.token}`);
    await chooseAccount(page, { verified: false });
    await refused();

    await page.goto(`${server().url}/app/sign-in`);
    await page.getByRole("link", { name: "Sign in with Google" }).click();
    await chooseAccount(page, { email: uniqueEmail("stranger") });
    await refused();

    await page.getByRole("link", { name: "Sign in with Google" }).click();
    await chooseAccount(page, { cancel: true });
    await refused();

    // The invitation is still good for the right account (signed in, and held at set-up: the new workspace requires a second factor).
    await page.goto(`${server().url}/app/auth/google/start?invitation=${inv.token}`);
    await chooseAccount(page, {});
    await page.waitForURL((u) => u.origin === server().url && u.pathname === "/app/security/setup");
    expect(await whoAmI(page)).toMatchObject({ user: { email: inv.email }, workspace: { id: inv.workspaceId } });
  });
});

async function expectAlert(page: Page) {
  expect(await page.getByRole("alert").textContent()).toMatch(/google/i);
}
