import { Redis, errors } from "@upstash/redis/cloudflare";
import { temporarilyUnavailable } from "../errors.js";
import { isNoScript, type LuaScript, type RedisArg, type RedisPort } from "./port.js";

/** Per request to Upstash: a REST call that has not answered by then is given up (503). */
const REQUEST_TIMEOUT_MS = 2000;

/** Edge adapter: Upstash's REST protocol over fetch, so it runs in workerd as in Node. */
export function createUpstashRedis(url: string, token: string, prefix: string): RedisPort {
  const client = new Redis({
    url, token, automaticDeserialization: false, enableTelemetry: false, retry: { retries: 2 },
    // A function: the client then throws on abort (a plain signal turns an abort into a 200 "Aborted").
    signal: () => AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const k = (key: string) => prefix + key;
  // Redis's own error (a script's, NOSCRIPT …) keeps its meaning; an unreachable,
  // silent or failing front is "away": 503 + Retry-After.
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof errors.UpstashError && !/^undefined,/.test(err.message)) throw err;
      throw temporarilyUnavailable("The service is temporarily unavailable (Redis); retry shortly");
    }
  };
  return {
    kind: "upstash",
    prefix,
    async run<T>(script: LuaScript, keys: string[], args: RedisArg[]): Promise<T> {
      const sha = await script.sha;
      const fullKeys = keys.map(k);
      const argv = args.map(String);
      try {
        return (await call(() => client.evalsha(sha, fullKeys, argv))) as T;
      } catch (err) {
        if (!isNoScript(err)) throw err;
        return (await call(() => client.eval(script.source, fullKeys, argv))) as T;
      }
    },
    get: (key) => call(() => client.get<string>(k(key))),
    async set(key, value, opts = {}) {
      const res = await call(() => opts.ex
        ? opts.nx
          ? client.set(k(key), value, { ex: opts.ex, nx: true })
          : client.set(k(key), value, { ex: opts.ex })
        : opts.nx
          ? client.set(k(key), value, { nx: true })
          : client.set(k(key), value));
      return res === "OK";
    },
    del: (...keys) => (keys.length ? call(() => client.del(...keys.map(k))) : Promise.resolve(0)),
    incr: (key) => call(() => client.incr(k(key))),
    expire: async (key, seconds) => (await call(() => client.expire(k(key), seconds))) === 1,
    ping: async () => (await call(() => client.ping())) === "PONG",
    close: async () => {},
  };
}
