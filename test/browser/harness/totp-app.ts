import { TOTP, URI } from "otpauth";
import type { Page } from "playwright-core";
import { expect } from "vitest";

/**
 * The authenticator app's side of a TOTP set-up on the security pages: the key from the
 * page's otpauth link (as an app on this device would take it), checked against the key
 * shown for typing by hand and the QR code drawn for scanning.
 */
export async function appFromPage(page: Page): Promise<TOTP> {
  const href = await page.getByRole("link", { name: /authenticator app on this device/ }).getAttribute("href");
  expect(href).toMatch(/^otpauth:\/\/totp\//);
  const app = URI.parse(href!);
  if (!(app instanceof TOTP)) throw new Error(`not a TOTP URI: ${href}`);
  // The key typed by hand is the same key.
  expect((await page.getByLabel("The set-up key").innerText()).replace(/\s/g, "")).toBe(app.secret.base32);
  // And the QR code the app scans is on the page, drawn (no image fetched).
  expect(await page.getByRole("img", { name: "QR code for the authenticator app to scan" }).isVisible()).toBe(true);
  return app;
}

/** The set-up page's whole enrolment, as a person does it: the app set up, its code entered, the recovery codes seen, then on. Answers the app and the code spent. */
export async function enrolOnSetupPage(page: Page): Promise<{ app: TOTP; used: string }> {
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  const app = await appFromPage(page);
  const used = app.generate();
  await page.getByLabel("Code the app shows").fill(used);
  await page.getByRole("button", { name: "Confirm" }).click();
  expect(await page.getByLabel("Recovery codes").locator("code").count()).toBe(10);
  await page.getByRole("link", { name: "Continue" }).click();
  return { app, used };
}

/** The code a later sign-in asks for: the app's code for the next step (within the ±1 step allowed), so never the one spent at enrolment. */
export async function enterNextCode(page: Page, app: TOTP): Promise<void> {
  await page.getByLabel("Code from the app").fill(app.generate({ timestamp: Date.now() + app.period * 1000 }));
  await page.getByRole("button", { name: "Continue" }).click();
}
