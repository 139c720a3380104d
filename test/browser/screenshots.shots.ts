import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { acceptInvitation } from "../../lib/people/accept.js";
import { createInvitation } from "../../lib/people/invite.js";
import { createSession } from "../../lib/sessions/create.js";
import { useBrowser } from "./harness/lifecycle.js";
import { startPlainOrigin, type PlainOrigin } from "./harness/origin.js";
import { navPages } from "./harness/pages.js";
import { addSessionCookie } from "./harness/people.js";
import { startBrowserSandesh, type BrowserSandesh } from "./harness/sandesh.js";
import { seedWorkspace, type Seeded } from "./harness/seed.js";

/**
 * `npm run screenshots`: every dashboard page, on the seeded workspace (fixed names,
 * numbers and texts; harness/seed.ts), at a fixed viewport (harness/lifecycle.ts), the
 * whole page, into docs/screenshots/<name>.png. Ids and times are the run's own.
 */
const b = useBrowser();
const OUT = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
let sandesh: BrowserSandesh;
let receiver: PlainOrigin;
let seeded: Seeded;
beforeAll(async () => {
  receiver = await startPlainOrigin();
  sandesh = await startBrowserSandesh();
  seeded = await seedWorkspace(sandesh, receiver.url);
  await mkdir(OUT, { recursive: true });
});
afterAll(async () => {
  await sandesh?.stop();
  await receiver?.close();
});

it("writes a screenshot of every dashboard page", async () => {
  const shoot = async (page: Page, url: string, name: string) => {
    const res = await page.goto(`${sandesh.url}${url}`);
    expect(res?.status(), url).toBe(200);
    await page.screenshot({ path: `${OUT}${name}.png`, fullPage: true, animations: "disabled", caret: "hide" });
  };
  const visitor = await b.device();
  await shoot(visitor.page, "/app/sign-in", "sign-in");

  // The owner joins as a newcomer does: the invitation page, a passkey made on this device.
  const invitation = await createInvitation(sandesh.stack.services, { workspaceId: seeded.workspaceId, email: "owner@acme-traders.example", role: "owner" }, { actorType: "operator", actorId: "screenshots" });
  const { page } = await b.device({ authenticator: true });
  await shoot(page, new URL(invitation.link).pathname, "invite");
  await page.getByLabel("Name for the passkey").fill("Work laptop");
  await page.locator('[data-passkey="register"]').click();
  await page.waitForURL((u) => u.pathname === "/app");
  for (const p of await navPages(page)) await shoot(page, p.href, p.name);
  await shoot(page, `/app/messages/${seeded.messageIds[2]}`, "message");

  // Where a member without a second factor is sent when the workspace requires one.
  await sandesh.stack.owner`update workspaces set require_mfa = true where id = ${seeded.workspaceId}`;
  const agent = await createInvitation(sandesh.stack.services, { workspaceId: seeded.workspaceId, email: "agent@acme-traders.example", role: "agent" }, { actorType: "operator", actorId: "screenshots" });
  const joined = await acceptInvitation(sandesh.stack.services, agent.token);
  const google = await createSession(sandesh.stack.services, { userId: joined.userId, method: "google", userVerified: false, workspaceId: seeded.workspaceId, ip: "127.0.0.1" });
  const member = await b.device();
  await addSessionCookie(member.context, sandesh.url, google.token);
  await member.page.goto(`${sandesh.url}/app`);
  await shoot(member.page, new URL(member.page.url()).pathname + new URL(member.page.url()).search, "security-setup");
});
