import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { createWorkspace } from "../../lib/workspaces/workspaces.js";
import { uniqueEmail } from "../support/people-kit.js";
import { useBrowser } from "./harness/lifecycle.js";
import { useSandesh } from "./harness/sandesh.js";
import { whoAmI } from "./harness/people.js";

/**
 * The newcomer's path, in Chromium with the DevTools virtual authenticator as the
 * device's built-in passkey store: the operator invites with the admin CLI, the link
 * opens the invitation, a passkey is registered (accepting it), sign out, sign in with
 * that passkey by no user name, the dashboard. Then the same person on a second device
 * revokes the first device's session, and the first device's very next navigation
 * lands on sign-in.
 */
const b = useBrowser();
const server = useSandesh();

const path = (page: Page) => new URL(page.url()).pathname;

describe("a newcomer invited with the CLI", () => {
  it("registers a passkey from the link, signs out, signs in with it, sees the dashboard; revoked from a second device, the first is sent to sign-in on its next navigation", async () => {
    const ws = await createWorkspace(server().stack.services, `Journey ${Date.now()}`);
    const email = uniqueEmail("newcomer");
    const invited = await server().admin(["user", "invite", "--workspace", ws.id, "--email", email, "--role", "owner"]);
    expect(invited.code, invited.stderr + invited.stdout).toBe(0);
    const link = /(http:\/\/localhost:\d+\/app\/invite\/\S+)/.exec(invited.stdout)?.[1];
    expect(link, invited.stdout).toBeDefined();

    // The first device: the invitation, and a passkey made on it.
    const first = await b.device({ authenticator: true });
    await first.page.goto(link!);
    await first.page.locator('[data-passkey="register"]').click();
    await first.page.waitForURL((u) => u.pathname === "/app");
    expect(await first.page.locator("main h1").textContent()).toMatch(/overview/i);
    await expectSignedInAs(first.page, email, ws.id);
    const [credential] = await first.authenticator!.credentials();
    expect(credential).toMatchObject({ isResidentCredential: true, rpId: "localhost" });
    // The passkey is stored (no password anywhere) and the invitation is spent.
    const stored = await server().stack.owner`select p.id from passkeys p join users u on u.id = p.user_id where u.email = ${email}`;
    expect(stored).toHaveLength(1);
    const reused = await first.context.newPage();
    await reused.goto(link!);
    expect(await reused.locator('[data-passkey="register"]').count()).toBe(0);
    await reused.close();

    // Sign out: the session ends server-side; the dashboard asks to sign in again.
    const before = (await whoAmI(first.page)).session.id;
    await first.page.getByRole("button", { name: "Sign out" }).click();
    await first.page.waitForURL((u) => u.pathname === "/app/sign-in");
    const [signedOut] = await server().stack.owner`select revoked_at from sessions where id = ${before}`;
    expect(signedOut!.revoked_at).not.toBeNull();
    await first.page.goto(`${server().url}/app/keys`);
    expect(path(first.page)).toBe("/app/sign-in");

    // Sign in with the passkey alone (discoverable: no email typed), back where it was going.
    await first.page.locator("#passkey-sign-in").click();
    await first.page.waitForURL((u) => u.pathname === "/app/keys");
    const again = await whoAmI(first.page);
    expect(again.session).toMatchObject({ method: "passkey", user_verified: true });
    expect(again.session.id).not.toBe(before);
    expect((await first.authenticator!.credentials())[0]!.signCount).toBeGreaterThan(credential!.signCount);

    // A second device holding the same (synced) passkey signs in too.
    const second = await b.device({ authenticator: true });
    const [exported] = await first.authenticator!.exportCredentials();
    await second.authenticator!.importCredential(exported!);
    await second.page.goto(`${server().url}/app/sign-in`);
    await second.page.locator("#passkey-sign-in").click();
    await second.page.waitForURL((u) => u.pathname === "/app");
    const secondSession = (await whoAmI(second.page)).session.id;
    expect(secondSession).not.toBe(again.session.id);

    // From the second device, the first device's session is revoked on the sessions page.
    await second.page.goto(`${server().url}/app/sessions`);
    const revoke = second.page.locator(`form[action="/app/sessions/${again.session.id}/revoke"] button[type="submit"]`);
    await revoke.click();
    await second.page.waitForURL((u) => u.pathname === "/app/sessions");
    expect(await second.page.locator(`form[action="/app/sessions/${again.session.id}/revoke"]`).count()).toBe(0);

    // The first device, on its very next navigation (a link in the page it still shows), is sent to sign-in.
    await first.page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Messages" }).click();
    await first.page.waitForURL((u) => u.pathname === "/app/sign-in");
    expect(new URL(first.page.url()).searchParams.get("next")).toBe("/app/messages");
    // The second device is untouched.
    await second.page.goto(`${server().url}/app/messages`);
    expect(path(second.page)).toBe("/app/messages");
  });
});

async function expectSignedInAs(page: Page, email: string, workspaceId: string) {
  const me = await whoAmI(page);
  expect(me.user.email).toBe(email);
  expect(me.workspace).toEqual({ id: workspaceId, role: "owner" });
  expect(me.session).toMatchObject({ method: "passkey", user_verified: true });
}
