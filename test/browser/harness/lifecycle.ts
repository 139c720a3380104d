import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, vi } from "vitest";
import { launchChromium } from "./chromium.js";
import { addVirtualAuthenticator, type VirtualAuthenticator } from "./authenticator.js";

/**
 * One Chromium per test file (launching is the slow part), a fresh context (its own
 * cookies and storage: another device) per scenario, every context closed after its
 * test. Browser files get longer limits through vi.setConfig, which applies to the
 * file that calls it only, so the rest of the suite keeps its 30 s.
 */
export interface BrowserFile {
  browser(): Browser;
  /** A new device: its own cookie jar, a fixed viewport, and a page in it. */
  device(opts?: { authenticator?: boolean }): Promise<Device>;
}

export interface Device {
  context: BrowserContext;
  page: Page;
  /** Present when asked for: the device's built-in (platform) authenticator. */
  authenticator?: VirtualAuthenticator;
}

export const VIEWPORT = { width: 1280, height: 800 };

export function useBrowser(): BrowserFile {
  vi.setConfig({ testTimeout: 90_000, hookTimeout: 150_000 });
  let browser: Browser | undefined;
  const open = new Set<BrowserContext>();
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterEach(async () => {
    for (const c of open) await c.close();
    open.clear();
  });
  afterAll(async () => {
    await browser?.close();
  });
  const get = () => {
    if (!browser) throw new Error("the browser starts in beforeAll");
    return browser;
  };
  return {
    browser: get,
    async device(opts = {}) {
      const context = await get().newContext({ viewport: VIEWPORT, locale: "en-GB", timezoneId: "UTC", colorScheme: "light" });
      open.add(context);
      // Waits are for events and selectors; a missing one fails with its name within 20 s.
      context.setDefaultTimeout(20_000);
      const page = await context.newPage();
      const authenticator = opts.authenticator ? await addVirtualAuthenticator(context, page) : undefined;
      return { context, page, ...(authenticator ? { authenticator } : {}) };
    },
  };
}
