import { Redis } from "ioredis";
import { isNoScript, type LuaScript, type RedisArg, type RedisPort } from "./port.js";

/** Node adapter: one multiplexed TCP connection (ioredis pipelines concurrent calls). */
export function createTcpRedis(url: string, prefix: string): RedisPort {
  const client = new Redis(url, {
    keyPrefix: prefix,
    // A command fails after two reconnect attempts instead of waiting forever: /healthz
    // must be able to say Redis is down, and a request must not hang on it.
    maxRetriesPerRequest: 2,
    // Concurrent commands leave in one write: fewer syscalls under load, same order.
    enableAutoPipelining: true,
    connectTimeout: 2000,
    lazyConnect: false,
  });
  client.on("error", () => {
    // Reported through failed commands and /healthz; an unhandled 'error' event would crash the process.
  });
  return {
    kind: "tcp",
    prefix,
    async run<T>(script: LuaScript, keys: string[], args: RedisArg[]): Promise<T> {
      const sha = await script.sha;
      try {
        return (await client.evalsha(sha, keys.length, ...keys, ...args)) as T;
      } catch (err) {
        if (!isNoScript(err)) throw err;
        return (await client.eval(script.source, keys.length, ...keys, ...args)) as T;
      }
    },
    get: (key) => client.get(key),
    async set(key, value, opts = {}) {
      const args: (string | number)[] = [];
      if (opts.ex) args.push("EX", opts.ex);
      if (opts.nx) args.push("NX");
      const res = await (client.set as (...a: unknown[]) => Promise<string | null>)(key, value, ...args);
      return res === "OK";
    },
    del: (...keys) => (keys.length ? client.del(...keys) : Promise.resolve(0)),
    incr: (key) => client.incr(key),
    expire: async (key, seconds) => (await client.expire(key, seconds)) === 1,
    ping: async () => (await client.ping()) === "PONG",
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
