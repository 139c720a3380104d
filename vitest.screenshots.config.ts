import { defineConfig } from "vitest/config";

/**
 * `npm run screenshots`: test/browser/screenshots.shots.ts writes docs/screenshots/*.png
 * (not part of `npm test`, which only checks that each page has one).
 */
export default defineConfig({
  test: {
    include: ["test/browser/screenshots.shots.ts"],
    globalSetup: ["test/setup/global.ts"],
    pool: "forks",
    testTimeout: 300_000,
    hookTimeout: 300_000,
    reporters: ["default"],
  },
});
