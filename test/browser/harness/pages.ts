import type { Page } from "playwright-core";

/** A page as the dashboard's navigation offers it. */
export interface NavPage {
  label: string;
  href: string;
  /** Its screenshot's name: docs/screenshots/<name>.png (`/app` is the overview). */
  name: string;
}

export const screenshotName = (href: string) => (href === "/app" ? "overview" : href.replace(/^\/app\//, "").replace(/[^a-z0-9]+/gi, "-"));

/** Every page the signed-in navigation links to, read from the page the browser shows. */
export async function navPages(page: Page): Promise<NavPage[]> {
  const links = await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link").evaluateAll((as) => as.map((a) => ({ label: (a.textContent ?? "").trim(), href: a.getAttribute("href") ?? "" })));
  return links.map((l) => ({ ...l, name: screenshotName(l.href) }));
}

/** What a page did wrong in the browser while it loaded: script errors, CSP refusals. */
export interface PageTrouble {
  errors: string[];
  violations: string[];
}

/**
 * Watches a page for what only a browser shows: uncaught errors, console errors, and
 * Content-Security-Policy violations (an inline script or style without the nonce, a
 * resource from elsewhere), each reported by the securitypolicyviolation event.
 */
export async function watchTrouble(page: Page): Promise<PageTrouble> {
  const trouble: PageTrouble = { errors: [], violations: [] };
  page.on("pageerror", (e) => trouble.errors.push(`${page.url()}: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") trouble.errors.push(`${page.url()}: ${m.text()}`);
  });
  await page.exposeFunction("__reportCspViolation", (v: string) => trouble.violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as unknown as { __reportCspViolation(v: string): void }).__reportCspViolation(`${location.pathname}: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return trouble;
}

/**
 * Form controls a person cannot name with a screen reader (no <label>, aria-label or
 * aria-labelledby), and forms that post without the session's CSRF field.
 */
export function accessibilityAndForms(page: Page, csrf: string) {
  return page.evaluate((csrf) => {
    const controls = [...document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>("input, select, textarea")].filter(
      (el) => !(el instanceof HTMLInputElement && ["hidden", "submit", "button", "reset"].includes(el.type)),
    );
    const unlabelled = controls
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
      .map((el) => `${el.tagName.toLowerCase()}[name=${el.getAttribute("name")}]`);
    const buttons = [...document.querySelectorAll("button")].filter((b) => !(b.textContent ?? "").trim() && !b.getAttribute("aria-label")).map((b) => b.outerHTML.slice(0, 80));
    const withoutCsrf = [...document.querySelectorAll("form")]
      .filter((f) => f.method.toLowerCase() === "post")
      .filter((f) => (f.querySelector<HTMLInputElement>('input[type="hidden"][name="csrf"]')?.value ?? "") !== csrf)
      .map((f) => f.getAttribute("action"));
    return { unlabelled, unnamedButtons: buttons, withoutCsrf, h1: document.querySelector("main h1")?.textContent?.trim() ?? null };
  }, csrf);
}
