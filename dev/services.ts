import { createDatabase, createSingleConnectionClient, type Database } from "../db/client.js";
import { systemClock, type Clock } from "../lib/clock.js";
import type { Config } from "../lib/config.js";
import type { Services } from "../lib/context.js";
import { createLogger, type Logger } from "../lib/logger.js";
import { createUpstashRedis, type RedisPort } from "../lib/redis/index.js";
import { createTcpRedis } from "../lib/redis/tcp.js";
import { Vault } from "../lib/vault/vault.js";
import { createCaches } from "../lib/caches.js";
import { createMessageWriter } from "../lib/messages/writer.js";
import { createStatusWriter } from "../lib/ingest/status-writer.js";
import { createMarkWriter } from "../lib/jobs/mark-writer.js";
import { createAccessWriter } from "../lib/access/writer.js";
import { noQueue, type QueuePort } from "../lib/queue/port.js";
import { createNodePost } from "../lib/meta/node-post.js";
import { createNodeWebhookPost } from "../lib/webhooks/node-post.js";
import { boundHeapGrowth } from "./heap.js";

export interface NodeServices extends Services {
  close(): Promise<void>;
}

/**
 * The accept path's own pool (Services.requestDb). Measured (bench/stalls.ts): with status
 * webhooks flowing back, accepts waiting for the shared pool went from p50 15 ms to 149 ms.
 */
const REQUEST_POOL = 8;
/** Services.bulkDb: two pages in flight (lib/broadcasts/run.ts) for each of the local queue's two broadcast workers. */
const BULK_POOL = 4;

export function createRedis(cfg: Config["redis"]): RedisPort {
  return cfg.kind === "tcp" ? createTcpRedis(cfg.url, cfg.prefix) : createUpstashRedis(cfg.url, cfg.token, cfg.prefix);
}

/** The Node process builds its services once; the pool and the Redis connection are shared. */
export function createNodeServices(
  config: Config,
  opts: { databaseUrl?: string; logger?: Logger; clock?: Clock; dbMax?: number; queue?: QueuePort } = {},
): NodeServices {
  // The process that builds the services is Sandesh's (npm start, the benches): its heap stays near what is live.
  boundHeapGrowth();
  const databaseUrl = opts.databaseUrl ?? config.databaseUrl;
  const database: Database = createDatabase(databaseUrl, { max: opts.dbMax ?? 10 });
  const requests: Database = createDatabase(databaseUrl, { max: REQUEST_POOL });
  const bulk: Database = createDatabase(databaseUrl, { max: BULK_POOL });
  const redis = createRedis(config.redis);
  const services: NodeServices = {
    config,
    db: database.db,
    requestDb: requests.db,
    bulkDb: bulk.db,
    redis,
    vault: new Vault(config.vault),
    clock: opts.clock ?? systemClock,
    logger: opts.logger ?? createLogger(config.logLevel === "silent" ? "silent" : config.logLevel),
    caches: createCaches(),
    queue: opts.queue ?? noQueue,
    metaPost: createNodePost(),
    webhookPost: createNodeWebhookPost({ production: config.env === "production" }),
    // Read at each flush: whichever queue the services hold then takes the jobs.
    messageWriter: createMessageWriter(createSingleConnectionClient(databaseUrl), () => services.queue),
    statusWriter: createStatusWriter(createSingleConnectionClient(databaseUrl), () => services),
    markWriter: createMarkWriter(createSingleConnectionClient(databaseUrl)),
    accessWriter: createAccessWriter(database.db),
    async close() {
      await Promise.allSettled([services.messageWriter.close(), services.statusWriter?.close(), services.markWriter?.close(), database.close(), requests.close(), bulk.close(), redis.close(), opts.queue?.close()]);
    },
  };
  return services;
}
