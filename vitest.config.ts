import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup/global.ts"],
    // Each file gets its own database (cloned from a migrated template) and its own
    // Redis key prefix, so files run in parallel without seeing each other.
    pool: "forks",
    // Two at once on two cores: the suites mostly wait on PostgreSQL, Redis and child
    // processes, and one at a time (the default here, cores - 1) kept CI near its 15 min.
    maxWorkers: 2,
    // Suites that spawn the admin CLI (tsx starting per command) reached 30 s on a loaded
    // machine; a test that hangs still fails, a minute later.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
