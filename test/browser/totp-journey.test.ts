import type { TOTP } from "otpauth";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { createSession } from "../../lib/sessions/create.js";
import { signIn } from "../support/people-kit.js";
import { useBrowser } from "./harness/lifecycle.js";
import { addSessionCookie, whoAmI } from "./harness/people.js";
import { useSandesh } from "./harness/sandesh.js";
import { appFromPage } from "./harness/totp-app.js";

/**
 * The second factor in Chromium, through the pages alone: the set-up key shown once as
 * an otpauth URI, the code computed from it as an authenticator app would (otpauth), a
 * wrong code refused, the right one stepping the browser up to a new session and
 * showing the ten recovery codes once. A workspace that requires a second factor sends
 * a member without one to set it up before any other page.
 */
const b = useBrowser();
const server = useSandesh();

/** Six digits the app would not accept now: none of the codes of the steps around now (±1 and a margin). */
function wrongCode(app: TOTP): string {
  const near = new Set([-2, -1, 0, 1, 2].map((d) => app.generate({ timestamp: Date.now() + d * app.period * 1000 })));
  let n = Number(app.generate());
  let code = "";
  do code = String((n = (n + 1) % 1_000_000)).padStart(6, "0");
  while (near.has(code));
  return code;
}

/** GET /app/auth/totp from the page: what the person has set up, never a secret. */
const totpStatus = (page: Page) => page.evaluate(async () => (await (await fetch("/app/auth/totp")).json()) as Record<string, unknown>);

async function signedIn(opts: { method?: "passkey" | "google"; userVerified?: boolean; requireMfa?: boolean } = {}) {
  const s = server();
  const who = await signIn(s.stack);
  if (opts.requireMfa) await s.stack.owner`update workspaces set require_mfa = true where id = ${who.workspaceId}`;
  // A sign-in as the test asks (signIn's own session is a user-verifying passkey's).
  const session = await createSession(s.stack.services, { userId: who.userId, method: opts.method ?? "passkey", userVerified: opts.userVerified ?? true, workspaceId: who.workspaceId, ip: "127.0.0.1" });
  const { context, page } = await b.device();
  await addSessionCookie(context, s.url, session.token);
  return { who, page, context, sessionId: session.session.sessionId };
}

describe("TOTP in a browser", () => {
  it("enrols from the security page: the key shown once, a wrong code refused, the right one turns it on with ten recovery codes and a new session", async () => {
    const { page, who, sessionId } = await signedIn();
    await page.goto(`${server().url}/app/security`);
    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    const app = await appFromPage(page);
    expect(app.label).toContain(who.email);

    await page.getByLabel("Code the app shows").fill(wrongCode(app));
    await page.getByRole("button", { name: "Confirm" }).click();
    await expectAlert(page);
    expect(await totpStatus(page)).toMatchObject({ totp: "pending" });
    // Refused, and the key is not on the page again.
    expect(await page.content()).not.toContain(app.secret.base32);

    await page.getByLabel("Code the app shows").fill(app.generate());
    await page.getByRole("button", { name: "Confirm" }).click();
    const codes = await page.getByLabel("Recovery codes").locator("code").allInnerTexts();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    // Stepped up: a new session with the second factor; the one before is gone.
    const now = await whoAmI(page);
    expect(now.session.id).not.toBe(sessionId);
    const [old] = await server().stack.owner`select revoked_at from sessions where id = ${sessionId}`;
    expect(old!.revoked_at).not.toBeNull();
    expect(await totpStatus(page)).toMatchObject({ totp: "enabled", recovery_codes_left: 10, session_has_second_factor: true });
    await page.goto(`${server().url}/app/security`);
    expect(await page.getByRole("region", { name: "Authenticator app" }).innerText()).toMatch(/On since .*10 of 10 recovery codes left/s);
    expect(await page.content()).not.toContain(app.secret.base32);
  });

  it("a workspace that requires a second factor sends a member without one to set it up first; a later sign-in is asked for a code, a wrong or spent one refused", async () => {
    const { page, who } = await signedIn({ method: "google", userVerified: false, requireMfa: true });
    await page.goto(`${server().url}/app/keys`);
    expect(new URL(page.url()).pathname).toBe("/app/security/setup");
    expect(new URL(page.url()).searchParams.get("next")).toBe("/app/keys");
    await page.goto(`${server().url}/app/messages`);
    expect(new URL(page.url()).pathname).toBe("/app/security/setup");

    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    const app = await appFromPage(page);
    await page.getByLabel("Code the app shows").fill(wrongCode(app));
    await page.getByRole("button", { name: "Confirm" }).click();
    await expectAlert(page);
    const used = app.generate();
    await page.getByLabel("Code the app shows").fill(used);
    await page.getByRole("button", { name: "Confirm" }).click();
    expect(await page.getByLabel("Recovery codes").locator("code").count()).toBe(10);
    await page.getByRole("link", { name: "Continue" }).click();
    await page.waitForURL((u) => u.pathname === "/app/messages");
    await page.goto(`${server().url}/app/keys`);
    expect(new URL(page.url()).pathname).toBe("/app/keys");

    // Another sign-in of the same person (Google again): the code is asked for before anything else.
    const later = await createSession(server().stack.services, { userId: who.userId, method: "google", userVerified: false, workspaceId: who.workspaceId, ip: "127.0.0.1" });
    const other = await b.device();
    await addSessionCookie(other.context, server().url, later.token);
    await other.page.goto(`${server().url}/app/webhooks`);
    expect(new URL(other.page.url()).pathname).toBe("/app/security/setup");
    const enter = async (code: string) => {
      await other.page.getByLabel("Code from the app").fill(code);
      await other.page.getByRole("button", { name: "Continue" }).click();
    };
    // A wrong code, then the code already spent at enrolment (its time step is used): both refused.
    await enter(wrongCode(app));
    await expectAlert(other.page);
    await enter(used);
    await expectAlert(other.page);
    expect(new URL(other.page.url()).pathname).not.toBe("/app/webhooks");
    // The next step's code (within the ±1 step the app's clock may be off by): on to where it was going.
    await enter(app.generate({ timestamp: Date.now() + app.period * 1000 }));
    await other.page.waitForURL((u) => u.pathname === "/app/webhooks");
    expect((await whoAmI(other.page)).session.id).not.toBe(later.session.sessionId);
  });
});

async function expectAlert(page: Page) {
  await expectVisible(page.getByRole("alert"));
}
async function expectVisible(l: ReturnType<Page["getByRole"]>) {
  await l.first().waitFor({ state: "visible" });
}
