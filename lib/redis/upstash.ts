import { Redis } from "@upstash/redis/cloudflare";
import { isNoScript, type LuaScript, type RedisArg, type RedisPort } from "./port.js";

/** Edge adapter: Upstash's REST protocol over fetch, so it runs in workerd as in Node. */
export function createUpstashRedis(url: string, token: string, prefix: string): RedisPort {
  const client = new Redis({ url, token, automaticDeserialization: false, enableTelemetry: false, retry: { retries: 2 } });
  const k = (key: string) => prefix + key;
  return {
    kind: "upstash",
    prefix,
    async run<T>(script: LuaScript, keys: string[], args: RedisArg[]): Promise<T> {
      const sha = await script.sha;
      const fullKeys = keys.map(k);
      const argv = args.map(String);
      try {
        return (await client.evalsha(sha, fullKeys, argv)) as T;
      } catch (err) {
        if (!isNoScript(err)) throw err;
        return (await client.eval(script.source, fullKeys, argv)) as T;
      }
    },
    get: (key) => client.get<string>(k(key)),
    async set(key, value, opts = {}) {
      const res = opts.ex
        ? opts.nx
          ? await client.set(k(key), value, { ex: opts.ex, nx: true })
          : await client.set(k(key), value, { ex: opts.ex })
        : opts.nx
          ? await client.set(k(key), value, { nx: true })
          : await client.set(k(key), value);
      return res === "OK";
    },
    del: (...keys) => (keys.length ? client.del(...keys.map(k)) : Promise.resolve(0)),
    incr: (key) => client.incr(k(key)),
    expire: async (key, seconds) => (await client.expire(k(key), seconds)) === 1,
    ping: async () => (await client.ping()) === "PONG",
    close: async () => {},
  };
}
