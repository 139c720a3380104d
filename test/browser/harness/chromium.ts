import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/**
 * Debian's chromium (installed by .ci/run with apt-get when missing), never a browser
 * build fetched by Playwright: playwright-core only drives it. CHROMIUM_PATH points
 * elsewhere on a machine that keeps it somewhere else.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// Tests run as root in CI, where Chromium refuses its sandbox; /dev/shm is small in
// containers, so shared memory goes to /tmp instead of crashing a tab.
const ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking"];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Browser tests need Chromium at ${CHROMIUM_PATH} (apt-get install chromium, as .ci/run does)`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS, timeout: 60_000 });
}
