import { Redis, ReplyError } from "ioredis";
import { temporarilyUnavailable } from "../errors.js";
import { isNoScript, type LuaScript, type RedisArg, type RedisPort } from "./port.js";

/**
 * How long a command may wait for Redis. ioredis would otherwise queue commands while it
 * reconnects and flush that queue only every few reconnects (requests hung 2-25 s).
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1500;

/** Node adapter: one multiplexed TCP connection (ioredis pipelines concurrent calls). */
export function createTcpRedis(url: string, prefix: string): RedisPort {
  const client = new Redis(url, {
    keyPrefix: prefix,
    // While disconnected a command fails at once (503) instead of waiting in a queue; one
    // in flight when the connection drops fails too and is never sent again on its own (a
    // gate script re-sent after its caller gave up would hold an idempotency key nobody answers).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    // Reconnect for ever, at most a second apart: service resumes within a second of Redis.
    retryStrategy: (times) => Math.min(times * 100, 1000),
    // Concurrent commands leave in one write: fewer syscalls under load, same order.
    enableAutoPipelining: true,
    connectTimeout: 2000,
    lazyConnect: false,
  });
  client.on("error", () => {
    // Reported through failed commands and /healthz; an unhandled 'error' event would crash the process.
  });
  // Redis answered with an error (a script's, NOSCRIPT …): its own meaning. Anything else
  // (refused, reset, timed out, not connected) means Redis is away: 503 + Retry-After.
  // Without an offline queue, a command before the connection is ready would fail: it
  // waits for readiness instead, once per moment (one shared wait), and never longer than
  // a command may take; a refused connect ends the wait at once.
  let waiting: Promise<void> | undefined;
  const ready = (): Promise<void> => {
    if (client.status === "ready") return Promise.resolve();
    waiting ??= new Promise<void>((resolve, reject) => {
      const done = (err?: unknown) => {
        clearTimeout(timer);
        client.off("ready", done);
        client.off("error", done);
        waiting = undefined;
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => done(new Error("Redis is not connected")), REDIS_COMMAND_TIMEOUT_MS);
      client.once("ready", done);
      client.once("error", done);
    });
    return waiting;
  };
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      await ready();
      return await fn();
    } catch (err) {
      if (err instanceof ReplyError) throw err;
      throw temporarilyUnavailable("The service is temporarily unavailable (Redis); retry shortly");
    }
  };
  return {
    kind: "tcp",
    prefix,
    async run<T>(script: LuaScript, keys: string[], args: RedisArg[]): Promise<T> {
      const sha = await script.sha;
      try {
        return (await call(() => client.evalsha(sha, keys.length, ...keys, ...args))) as T;
      } catch (err) {
        if (!isNoScript(err)) throw err;
        return (await call(() => client.eval(script.source, keys.length, ...keys, ...args))) as T;
      }
    },
    get: (key) => call(() => client.get(key)),
    async set(key, value, opts = {}) {
      const args: (string | number)[] = [];
      if (opts.ex) args.push("EX", opts.ex);
      if (opts.nx) args.push("NX");
      const res = await call(() => (client.set as (...a: unknown[]) => Promise<string | null>)(key, value, ...args));
      return res === "OK";
    },
    del: (...keys) => (keys.length ? call(() => client.del(...keys)) : Promise.resolve(0)),
    incr: (key) => call(() => client.incr(key)),
    expire: async (key, seconds) => (await call(() => client.expire(key, seconds))) === 1,
    ping: async () => (await call(() => client.ping())) === "PONG",
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
