import type { RedisConfig } from "../config.js";
import type { RedisPort } from "./port.js";
import { createUpstashRedis } from "./upstash.js";

export * from "./port.js";
export { createUpstashRedis };

/**
 * Edge-safe factory: only the Upstash adapter. The Node entry adds the TCP adapter
 * itself (dev/), so the Worker bundle never pulls in a TCP client.
 */
export function createEdgeRedis(cfg: RedisConfig): RedisPort {
  if (cfg.kind !== "upstash") throw new Error("The Worker needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN");
  return createUpstashRedis(cfg.url, cfg.token, cfg.prefix);
}
