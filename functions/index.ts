import { systemClock } from "../lib/clock.js";
import { parseConfig, type Config } from "../lib/config.js";
import type { Services } from "../lib/context.js";
import { createLogger } from "../lib/logger.js";
import { createEdgeRedis } from "../lib/redis/index.js";
import { Vault } from "../lib/vault/vault.js";
import { vaultKeyProblems } from "../lib/vault/key-check.js";
import { createCaches } from "../lib/caches.js";
import { createMessageWriter } from "../lib/messages/writer.js";
import { runLane, SWEEP_LANES } from "../lib/jobs/sweeps.js";
import { noQueue, type QueuePort } from "../lib/queue/port.js";
import { createQStashQueue } from "../lib/queue/qstash.js";
import { createDatabase, createSingleConnectionClient } from "../db/client.js";
import { buildApp } from "./app.js";
import { clientAddress } from "../lib/client-address.js";
import { vaultMismatchResponse } from "./vault-refusal.js";

/**
 * The Cloudflare Worker. Configuration is validated once per isolate; the database
 * client is opened per invocation (workerd does not let one request use another's
 * socket; Hyperdrive pools in front of it in production) and closed after it.
 */
type WorkerEnv = Record<string, unknown>;
interface ExecutionContext {
  waitUntil(p: Promise<unknown>): void;
}

const app = buildApp();
let cached: { env: WorkerEnv; config: Config; vault: Vault; redis: ReturnType<typeof createEdgeRedis>; caches: ReturnType<typeof createCaches>; queue: QueuePort; vaultProblems?: string[] } | undefined;

function isolateState(env: WorkerEnv) {
  if (cached?.env === env) return cached;
  const parsed = parseConfig(configEnv(env));
  if (!parsed.ok) throw new Error(`Sandesh configuration is invalid:\n${parsed.problems.join("\n")}`);
  cached = { env, config: parsed.config, vault: new Vault(parsed.config.vault), redis: createEdgeRedis(parsed.config.redis), caches: createCaches(), queue: edgeQueue(parsed.config) };
  return cached;
}

/**
 * The string variables and secrets; with a Hyperdrive binding named HYPERDRIVE, its
 * connection string stands in for DATABASE_URL (Hyperdrive pools connections in front
 * of PostgreSQL; it logs in as the role configured in Hyperdrive).
 */
function configEnv(env: WorkerEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === "string") out[k] = v;
  const hyperdrive = env.HYPERDRIVE as { connectionString?: unknown } | undefined;
  if (typeof hyperdrive?.connectionString === "string") out.DATABASE_URL = hyperdrive.connectionString;
  return out;
}

const edgeQueue = (c: Config): QueuePort =>
  c.qstash ? createQStashQueue({ token: c.qstash.token, publicUrl: c.publicUrl, ...(c.qstash.url ? { baseUrl: c.qstash.url } : {}) }) : noQueue;

const STREAMED_PATHS = new Set(["/v1/contacts/export"]);
/** Answers whose body reads the database as it streams: the contacts export, a broadcast's recipients as CSV, an approved export's file. */
const streams = (path: string) => STREAMED_PATHS.has(path) || /^\/v1\/broadcasts\/[^/]+\/recipients$/.test(path) || /^\/(v1|app)\/exports\/[^/]+\/download$/.test(path);

/** The services of one invocation: isolate-wide parts plus a database client of its own. */
function invocationServices(state: ReturnType<typeof isolateState>): { services: Services; close(): Promise<void> } {
  const database = createDatabase(state.config.databaseUrl, { max: 1 });
  const services: Services = {
    config: state.config,
    db: database.db,
    redis: state.redis,
    vault: state.vault,
    clock: systemClock,
    logger: createLogger(state.config.logLevel),
    caches: state.caches,
    queue: state.queue,
    // Its own connection, opened only when the invocation accepts a message.
    messageWriter: createMessageWriter(createSingleConnectionClient(state.config.databaseUrl), () => state.queue),
  };
  return { services, close: async () => void (await Promise.allSettled([services.messageWriter.close(), database.close()])) };
}

/**
 * A wrong MASTER_KEK is refused before anything is sealed or opened with it: checked once
 * per isolate (the result, not the promise, is kept: a promise would carry one request's
 * socket into another), every request but /healthz (which names it) answers 503 until then.
 */
async function vaultRefusal(state: ReturnType<typeof isolateState>, services: Services): Promise<Response | null> {
  if (!state.vaultProblems) {
    try {
      state.vaultProblems = await vaultKeyProblems(services.db, state.vault);
      for (const p of state.vaultProblems) console.error(`Sandesh refuses to serve: ${p}`);
    } catch {
      return null; // the database is away: the request meets that on its own
    }
  }
  if (!state.vaultProblems.length) return null;
  return vaultMismatchResponse();
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let state: ReturnType<typeof isolateState>;
    try {
      state = isolateState(env);
    } catch (err) {
      console.error((err as Error).message);
      return Response.json({ error: { code: "misconfigured", message: "The service is misconfigured; see its logs", request_id: "" } }, { status: 500 });
    }
    const { services, close } = invocationServices(state);
    // Behind Cloudflare (TRUST_PROXY=cloudflare, as wrangler.toml sets it) CF-Connecting-IP,
    // which Cloudflare sets itself; a value that is not an IP address is never used.
    const ip = clientAddress(state.config.trustProxy, undefined, (name) => request.headers.get(name));
    let streaming = false;
    try {
      const refused = await vaultRefusal(state, services);
      if (refused && new URL(request.url).pathname !== "/healthz") return refused;
      const res = await app.fetch(request, { services, ...(ip ? { ip } : {}) }, ctx as never);
      // A body that reads the database as it streams (the contacts export) outlives the
      // handler: the database closes when that body ends, not when the handler returns.
      if (!res.body || !streams(new URL(request.url).pathname)) return res;
      streaming = true;
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
      ctx.waitUntil(res.body.pipeTo(writable).catch(() => {}).finally(close));
      return new Response(readable, res);
    } finally {
      if (!streaming) ctx.waitUntil(close());
    }
  },

  /**
   * Cron (wrangler.toml [triggers]): re-queue messages and webhook deliveries a lost
   * enqueue left behind, settle messages past their lease (lib/jobs/lease.ts), and apply
   * Meta statuses that missed their message's wamid or tag (expiring those no message
   * claimed in 7 days), start broadcasts and contacts imports whose job was lost, purge
   * message content past retention and delete lapsed sessions and invitations.
   * Every step runs, whatever fails before it (a broken sweep must not hold back the purges
   * after it); each failure is logged, and the invocation then fails naming them, so
   * Cloudflare records the run as failed.
   */
  async scheduled(_controller: unknown, env: WorkerEnv, _ctx: ExecutionContext): Promise<void> {
    const { services, close } = invocationServices(isolateState(env));
    try {
      // Every sweep in turn (lib/jobs/sweeps.ts, the list the Node interval runs).
      const failed = await runLane(services, SWEEP_LANES.flatMap((lane) => lane.steps));
      // Named by their log lines only: the causes, redacted, are in those lines.
      if (failed.length) throw new Error(`cron: ${failed.join(", ")}`);
    } finally {
      await close();
    }
  },
};
