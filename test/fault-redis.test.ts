import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../functions/app.js";
import { createNodeServices } from "../dev/services.js";
import { createLogger } from "../lib/logger.js";
import { expectNothingLostOrTwice, expectOnlyRetryableAnswers, serviceBackWithin, startRig, templateTo, type FaultRig } from "./support/fault-kit.js";
import { startPrivateRedis, type PrivateRedis } from "./support/private-servers.js";
import { retryingLoad } from "./support/retrying-load.js";
import { createTestStack, testConfig, type TestStack } from "./support/stack.js";

/**
 * Redis stopped (killed) while Sandesh takes sends, then started again, empty: Sandesh
 * in its own process, against a Redis of this file's own and a database of its own.
 */
let stack: TestStack;
let redis: PrivateRedis;
let rig: FaultRig;

beforeAll(async () => {
  stack = await createTestStack();
  redis = await startPrivateRedis();
  rig = await startRig({ databaseUrl: stack.config.databaseUrl, migrationUrl: stack.config.migrationDatabaseUrl, redisUrl: redis.url });
}, 90_000);

afterAll(async () => {
  await rig?.close();
  await redis?.destroy();
  await stack?.close();
});

describe("an unreachable Redis", () => {
  it("answers 503 temporarily_unavailable with Retry-After on /v1, at once, never 500", async () => {
    const t = await stack.tenant();
    const services = createNodeServices(testConfig({ DATABASE_URL: stack.config.databaseUrl, REDIS_URL: "redis://127.0.0.1:1" }), { logger: createLogger("silent") });
    try {
      const app = buildApp();
      const send = { method: "POST", headers: { authorization: `Bearer ${t.key}`, "idempotency-key": "k1" }, body: JSON.stringify(templateTo(1, "k1")) };
      for (const [path, init] of [["/v1/messages", send], ["/v1/workspace", { headers: { authorization: `Bearer ${t.key}` } }]] as const) {
        const res = await app.fetch(new Request(`http://x${path}`, init), { services, ip: "203.0.113.9" });
        expect(res.status).toBe(503);
        expect(res.headers.get("retry-after")).toBe("1");
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("temporarily_unavailable");
      }
    } finally {
      await services.close();
    }
  });
});

describe("Redis down and back under load", () => {
  it("answers only 202 or 503 meanwhile, serves again within 10 s of its return, loses nothing, sends nothing twice", async () => {
    const run = (async () => {
      await new Promise((r) => setTimeout(r, 1500));
      await redis.stop();
      await new Promise((r) => setTimeout(r, 2500));
      await redis.start();
      const back = Date.now();
      await serviceBackWithin(rig, back, 10_000);
      await new Promise((r) => setTimeout(r, 1000));
    })();
    const report = await retryingLoad({ url: rig.sandesh.url, apiKey: rig.apiKey, perSecond: 40, until: run, body: templateTo });
    await run;
    expectOnlyRetryableAnswers(rig, report);
    expect(report.answers["503"] ?? 0).toBeGreaterThan(0);
    await expectNothingLostOrTwice(rig, report);
  }, 90_000);
});
