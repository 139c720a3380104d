import { systemClock } from "../lib/clock.js";
import { parseConfig, type Config } from "../lib/config.js";
import type { Services } from "../lib/context.js";
import { createLogger } from "../lib/logger.js";
import { createEdgeRedis } from "../lib/redis/index.js";
import { Vault } from "../lib/vault/vault.js";
import { createCaches } from "../lib/caches.js";
import { createMessageWriter } from "../lib/messages/writer.js";
import { noQueue, type QueuePort } from "../lib/queue/port.js";
import { createQStashQueue } from "../lib/queue/qstash.js";
import { createDatabase } from "../db/client.js";
import { buildApp } from "./app.js";

/**
 * The Cloudflare Worker. Configuration is validated once per isolate; the database
 * client is opened per request (workerd does not let one request use another's
 * socket; Hyperdrive pools in front of it in production) and closed after the response.
 */
type WorkerEnv = Record<string, string | undefined>;

const app = buildApp();
let cached: { env: WorkerEnv; config: Config; vault: Vault; redis: ReturnType<typeof createEdgeRedis>; caches: ReturnType<typeof createCaches>; queue: QueuePort } | undefined;

function isolateState(env: WorkerEnv) {
  if (cached?.env === env) return cached;
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(`Sandesh configuration is invalid:\n${parsed.problems.join("\n")}`);
  cached = { env, config: parsed.config, vault: new Vault(parsed.config.vault), redis: createEdgeRedis(parsed.config.redis), caches: createCaches(), queue: edgeQueue(parsed.config) };
  return cached;
}

const edgeQueue = (c: Config): QueuePort =>
  c.qstash ? createQStashQueue({ token: c.qstash.token, publicUrl: c.publicUrl, ...(c.qstash.url ? { baseUrl: c.qstash.url } : {}) }) : noQueue;

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: { waitUntil(p: Promise<unknown>): void }): Promise<Response> {
    let state: ReturnType<typeof isolateState>;
    try {
      state = isolateState(env);
    } catch (err) {
      console.error((err as Error).message);
      return Response.json({ error: { code: "misconfigured", message: "The service is misconfigured; see its logs", request_id: "" } }, { status: 500 });
    }
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
      messageWriter: createMessageWriter(database.db),
    };
    try {
      return await app.fetch(request, { services }, ctx as never);
    } finally {
      ctx.waitUntil(database.close());
    }
  },
};
