import postgres from "postgres";
import { expect } from "vitest";
import { startMetaSandbox, type MetaSandbox } from "../../dev/meta-sandbox/index.js";
import { createNodeServices } from "../../dev/services.js";
import { migrate } from "../../db/migrate.js";
import { createApiKey } from "../../lib/apikeys/manage.js";
import { createLogger } from "../../lib/logger.js";
import { connectNumber } from "../../lib/whatsapp/numbers.js";
import { createWorkspace } from "../../lib/workspaces/workspaces.js";
import { eventually } from "./eventually.js";
import type { LoadReport } from "./retrying-load.js";
import { startSandesh, type SandeshProcess } from "./sandesh-process.js";
import { TEST_SECRETS, testConfig } from "./stack.js";

/**
 * The pieces every fault test shares: Sandesh in its own process against the test's
 * own PostgreSQL/Redis, the Meta sandbox (in the test's process) counting what reaches
 * Meta, a tenant with a number, and the end-of-run audit: nothing lost, nothing twice.
 */
export interface FaultRig {
  sandesh: SandeshProcess;
  meta: MetaSandbox;
  owner: postgres.Sql;
  apiKey: string;
  close(): Promise<void>;
}

export const PHONE_NUMBER_ID = "5550001";

export async function startRig(urls: { databaseUrl: string; migrationUrl: string; redisUrl: string }): Promise<FaultRig> {
  const prefix = `f${Math.random().toString(36).slice(2, 8)}:`;
  const meta = await startMetaSandbox({ appSecret: TEST_SECRETS.META_APP_SECRET, statusDelayMs: 5 });
  const env = { DATABASE_URL: urls.databaseUrl, DATABASE_MIGRATION_URL: urls.migrationUrl, REDIS_URL: urls.redisUrl, REDIS_PREFIX: prefix, META_GRAPH_URL: meta.url, SWEEP_INTERVAL_S: "2" };
  // Migrated first: Sandesh checks its login role (which the migrations create) before anything.
  await migrate(urls.migrationUrl);
  const sandesh = await startSandesh(env);
  meta.setWebhookUrl(`${sandesh.url}/webhooks/meta`);
  const services = createNodeServices(testConfig(env), { logger: createLogger("silent"), dbMax: 1 });
  const w = await createWorkspace(services, "Faults");
  const k = await createApiKey(services, w.id, "load", { actorType: "operator", actorId: "test" });
  await connectNumber(services, { workspaceId: w.id, phoneNumberId: PHONE_NUMBER_ID, wabaId: "77", token: "EAAfaulttesttoken0123456789", throughputMps: 200 }, { actorType: "operator" });
  meta.registerNumber(PHONE_NUMBER_ID, "EAAfaulttesttoken0123456789", { throughputMps: 1000 });
  await services.close();
  const owner = postgres(urls.migrationUrl, { max: 1, onnotice: () => {} });
  return {
    sandesh,
    meta,
    owner,
    apiKey: k.key,
    async close() {
      await sandesh.stop();
      await owner.end({ timeout: 1 }).catch(() => undefined);
      await meta.close();
    },
  };
}

/** A template whose parameter carries the idempotency key: the sandbox's copy names its request. */
export const templateTo = (i: number, key: string) => ({
  to: `91987657${String(700 + (i % 40))}`,
  type: "template",
  template: { name: "order_update", language: { code: "en_US" }, category: "UTILITY", components: [{ type: "body", parameters: [{ type: "text", text: key }] }] },
});

const keyOf = (body: Record<string, unknown>) =>
  ((body.template as { components?: { parameters?: { text?: string }[] }[] } | undefined)?.components?.[0]?.parameters?.[0]?.text) ?? "";

/**
 * Only 202, 503, 409 (in progress) and 429 (the retries' own rate, past the key's limit)
 * came back; nothing hung or failed otherwise; the process lived.
 */
export function expectOnlyRetryableAnswers(rig: FaultRig, r: LoadReport): void {
  expect(rig.sandesh.exited(), rig.sandesh.output()).toBeNull();
  expect(r.unexpected).toEqual([]);
  expect(r.unfinished).toEqual([]);
  expect(Object.keys(r.answers).filter((a) => !["202", "503", "409", "429"].includes(a)), rig.sandesh.output().slice(-4000)).toEqual([]);
  expect(r.accepted.size).toBeGreaterThan(0);
}

const OPEN = ["queued", "sending", "retrying"];
const ENDED = (m: { status: string; reason: string | null }) => ["sent", "delivered", "read"].includes(m.status) || (m.status === "failed" && m.reason !== null);

/**
 * 0 lost, 0 twice, 0 stuck after the lease. Every accepted message ends sent (or later)
 * or failed with a reason, and Meta got each at most once. The queue runs first, until
 * nothing is queued and no job is running (a job whose worker lost the database comes
 * back after a missed heartbeat). What is still open then (a claim the outage cut off,
 * a retry waiting for its backoff) is what the lease is for: its lease is made to lapse,
 * as the clock would, and Sandesh's own sweep (every SWEEP_INTERVAL_S, no operator)
 * must settle it; nothing counts as done because it still has a job.
 */
export async function expectNothingLostOrTwice(rig: FaultRig, r: LoadReport, timeoutMs = 60_000): Promise<void> {
  const ids = [...r.accepted.values()];
  const read = () =>
    rig.owner<{ id: string; status: string; reason: string | null; running: boolean }[]>`
      select m.id, m.status, coalesce(m.error_code::text, m.error_title, m.error_reason) as reason,
             exists (select 1 from sandesh_queue.job j where j.name = 'send' and j.data->>'messageId' = m.id::text and j.state = 'active') as running
      from messages m where m.id = any(${ids}::uuid[])`.then((x) => [...x]);
  await eventually(read, (rs) => rs.length === ids.length && rs.every((m) => ENDED(m) || (m.status !== "queued" && !m.running)), timeoutMs);
  await rig.owner`update messages set claimed_until = now() - interval '1 second' where id = any(${ids}::uuid[]) and status = any(${OPEN})`;
  const rows = await eventually(read, (rs) => rs.every(ENDED), timeoutMs);
  expect(rows.filter((m) => !ENDED(m))).toEqual([]);
  expect(rows).toHaveLength(ids.length);
  const atMeta = new Map<string, number>();
  for (const m of rig.meta.sent) atMeta.set(keyOf(m.body), (atMeta.get(keyOf(m.body)) ?? 0) + 1);
  const twice = [...atMeta].filter(([, n]) => n > 1);
  expect(twice).toEqual([]);
  // Every message that says it went out went out, under its own key.
  const status = new Map(rows.map((m) => [m.id, m.status]));
  const notAtMeta = [...r.accepted].filter(([k, id]) => ["sent", "delivered", "read"].includes(status.get(id)!) && !atMeta.has(k));
  expect(notAtMeta).toEqual([]);
}

/** Polls a fresh send until it is accepted; answers how long after `since` that was. */
export async function serviceBackWithin(rig: FaultRig, since: number, boundMs: number): Promise<number> {
  let i = 0;
  await eventually(
    async () => {
      const key = `probe-${i++}-${Math.random().toString(36).slice(2, 8)}`;
      const res = await fetch(`${rig.sandesh.url}/v1/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${rig.apiKey}`, "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify(templateTo(i, key)),
        // One attempt may be slow on a loaded machine (the retries of the whole outage arrive at once); the bound is the 10 s.
        signal: AbortSignal.timeout(5000),
      }).catch(() => undefined);
      const health = await fetch(`${rig.sandesh.url}/healthz`, { signal: AbortSignal.timeout(2000) }).then((h) => h.text(), (e: Error) => e.name);
      return `${res?.status ?? 0} ${health}`;
    },
    (s) => s.startsWith("202"),
    boundMs,
  );
  return Date.now() - since;
}
