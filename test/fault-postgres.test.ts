import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectNothingLostOrTwice, expectOnlyRetryableAnswers, serviceBackWithin, startRig, templateTo, type FaultRig } from "./support/fault-kit.js";
import { startPrivatePostgres, type PrivatePostgres } from "./support/private-servers.js";
import { retryingLoad } from "./support/retrying-load.js";
import { REDIS_URL } from "./support/servers.js";

/**
 * PostgreSQL stopped (`pg_ctl stop -m immediate`, every connection cut at once) while
 * Sandesh takes sends, then started again. Each case has a fresh Sandesh in its own
 * process and a database of its own on a PostgreSQL of this file's own; no operator
 * steps in, and neither case leans on what the other left behind.
 */
let pg: PrivatePostgres;
const rigs: FaultRig[] = [];

beforeAll(async () => {
  pg = await startPrivatePostgres();
}, 90_000);

afterAll(async () => {
  for (const rig of rigs) await rig.close();
  await pg?.destroy();
});

async function freshRig(): Promise<FaultRig> {
  const name = `sandesh_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(pg.url(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`).finally(() => admin.end({ timeout: 1 }));
  const rig = await startRig({ databaseUrl: pg.url(name, "sandesh_app"), migrationUrl: pg.url(name), redisUrl: REDIS_URL });
  rigs.push(rig);
  return rig;
}

const outage = async (downMs: number) => {
  await pg.stop();
  await new Promise((r) => setTimeout(r, downMs));
  await pg.start();
  return Date.now();
};

describe.each([
  ["heavy load", 60],
  ["light load", 4],
])("PostgreSQL down and back under %s", (_name, perSecond) => {
  it("answers only 202 or 503 meanwhile, serves again within 10 s of its return, loses nothing, sends nothing twice, leaves nothing stuck", async () => {
    const rig = await freshRig();
    const run = (async () => {
      await new Promise((r) => setTimeout(r, 1500));
      const back = await outage(2500);
      await serviceBackWithin(rig, back, 10_000);
      await new Promise((r) => setTimeout(r, 1000));
    })();
    const report = await retryingLoad({ url: rig.sandesh.url, apiKey: rig.apiKey, perSecond, until: run, body: templateTo });
    await run.catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; Sandesh ${rig.sandesh.exited() ?? "running"}:\n${rig.sandesh.output().slice(-3000)}`);
    });
    expectOnlyRetryableAnswers(rig, report);
    expect(report.answers["503"] ?? 0).toBeGreaterThan(0);
    await expectNothingLostOrTwice(rig, report);
    const health = await fetch(`${rig.sandesh.url}/healthz`);
    expect(await health.json()).toEqual({ status: "ok", checks: { database: "ok", redis: "ok", vault: "ok", writer: "ok" } });
  }, 150_000);
});
