import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, type SignedIn } from "../support/people-kit.js";
import { useBrowser } from "./harness/lifecycle.js";
import { startPlainOrigin, type PlainOrigin } from "./harness/origin.js";
import { accessibilityAndForms, navPages, watchTrouble, type NavPage } from "./harness/pages.js";
import { addSessionCookie } from "./harness/people.js";
import { startBrowserSandesh, type BrowserSandesh } from "./harness/sandesh.js";
import { SEED, seedWorkspace, type Seeded } from "./harness/seed.js";

/**
 * Every page of the dashboard as an owner sees it in Chromium, on a workspace with
 * something on each (harness/seed.ts): what only a browser tells (script errors, CSP
 * refusals of anything without the response's nonce), labels for every control, the
 * CSRF field in every form that posts, the seeded things shown, secrets not. And each
 * page has its screenshot in docs/screenshots/, linked from the README
 * (`npm run screenshots` makes them).
 */
const b = useBrowser();
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let sandesh: BrowserSandesh;
let receiver: PlainOrigin;
let seeded: Seeded;
let owner: SignedIn;
let pages: NavPage[];
beforeAll(async () => {
  receiver = await startPlainOrigin();
  sandesh = await startBrowserSandesh();
  seeded = await seedWorkspace(sandesh, receiver.url);
  owner = await signIn(sandesh.stack, { workspaceId: seeded.workspaceId, email: "owner@acme-traders.example", role: "owner" });
  // The pages are the ones the navigation links to, as the browser shows it.
  const first = await ownerPage();
  await first.goto(`${sandesh.url}/app`);
  pages = await navPages(first);
  await first.context().close();
});
afterAll(async () => {
  await sandesh?.stop();
  await receiver?.close();
});

async function ownerPage(): Promise<Page> {
  const { context, page } = await b.device();
  await addSessionCookie(context, sandesh.url, owner.token);
  return page;
}

describe("the dashboard's pages in a browser", () => {
  it("each page in the navigation answers 200 with its heading, no script error, no CSP violation, every control labelled, every post carrying the CSRF token", async () => {
    const page = await ownerPage();
    const trouble = await watchTrouble(page);
    expect(pages.map((p) => p.href)).toEqual(expect.arrayContaining(["/app", "/app/keys", "/app/numbers", "/app/webhooks", "/app/messages", "/app/sessions", "/app/security", "/app/members"]));
    const report: Record<string, unknown> = {};
    for (const p of [...pages, { href: `/app/messages/${seeded.messageIds[2]}`, label: "a message", name: "message" }]) {
      const res = await page.goto(`${sandesh.url}${p.href}`);
      const seen = await accessibilityAndForms(page, owner.csrf);
      report[p.href] = { status: res?.status(), path: new URL(page.url()).pathname, ...seen };
      expect(report[p.href], p.href).toMatchObject({ status: 200, path: p.href, unlabelled: [], unnamedButtons: [], withoutCsrf: [], h1: expect.stringMatching(/\S/) });
    }
    expect(trouble).toEqual({ errors: [], violations: [] });
  });

  it("shows what the workspace holds, and never a secret", async () => {
    const page = await ownerPage();
    const text = async (href: string) => {
      await page.goto(`${sandesh.url}${href}`);
      return (await page.locator("main").innerText()).replace(/\s+/g, " ");
    };
    const keys = await text("/app/keys");
    expect(keys).toContain("production");
    expect(keys).toContain("staging");
    expect(keys).not.toContain(seeded.key);
    const numbers = await text("/app/numbers");
    expect(numbers).toContain(SEED.phoneNumberId);
    expect(numbers).not.toContain("EAAAcmeTradersSandboxToken");
    const messages = await text("/app/messages");
    for (const c of SEED.contacts) expect(messages).toContain(c.wa_id.slice(-4));
    expect(await text(`/app/messages/${seeded.messageIds[2]}`)).toContain("131026");
    expect(await text("/app/webhooks")).toContain("Order system");
    expect(await text("/app/contacts")).toContain("Asha Rao");
    expect(await text("/app/templates")).toContain(SEED.template.name);
    expect(await text("/app/broadcasts")).toContain(SEED.broadcast.name);
    const html = await page.content();
    expect(html).not.toContain(owner.token);
  });

  it("has a screenshot of each page in docs/screenshots/, linked from the README", () => {
    const readme = readFileSync(`${ROOT}README.md`, "utf8");
    for (const name of [...pages.map((p) => p.name), "message", "sign-in", "invite", "security-setup"]) {
      expect(existsSync(`${ROOT}docs/screenshots/${name}.png`), `docs/screenshots/${name}.png (npm run screenshots)`).toBe(true);
      expect(readme, `README links docs/screenshots/${name}.png`).toContain(`(docs/screenshots/${name}.png)`);
    }
  });
});
