import { fillDevSecrets } from "./secrets.js";
import { LocalEnvError } from "./errors.js";
import { localDatabase, type LocalDatabase } from "./postgres.js";
import { tcpAnswers } from "./probe.js";
import { LOCAL_REDIS, onPath, startChildRedis, type ChildRedis } from "./redis.js";

export { LocalEnvError } from "./errors.js";

export interface LocalEnv {
  env: Record<string, string | undefined>;
  notes: string[];
  database?: LocalDatabase;
  redis?: ChildRedis;
  /** Stops what was started here (the embedded database, a child redis-server). */
  close(): Promise<void>;
}

export interface LocalEnvOptions {
  /** The admin CLI: use the embedded database another process serves, instead of refusing. */
  attach?: boolean;
}

const hostPort = (text: string): [string, number] => {
  const i = text.lastIndexOf(":");
  return [text.slice(0, i) || "127.0.0.1", Number(text.slice(i + 1))];
};

/**
 * Embedded defaults for `npm start` and the admin CLI on a fresh machine. In
 * production nothing is filled in: configuration must be complete. Where to look
 * for PostgreSQL and Redis is SANDESH_LOCAL_POSTGRES / SANDESH_LOCAL_REDIS (host:port).
 */
export async function resolveLocalEnv(raw: Record<string, string | undefined>, dataDir: string, opts: LocalEnvOptions = {}): Promise<LocalEnv> {
  const env = { ...raw };
  const notes: string[] = [];
  const started: { database?: LocalDatabase; redis?: ChildRedis } = {};
  const close = async () => {
    await started.database?.close?.();
    await started.redis?.close();
  };
  if (env.SANDESH_ENV === "production") return { env, notes, close };

  try {
    const generated = await fillDevSecrets(env, dataDir);
    if (generated.length) {
      notes.push(`WARNING: development secrets in use for ${generated.join(", ")} (kept in ${dataDir}/dev-secrets.json). Set them, and SANDESH_ENV=production, for real traffic.`);
    }

    if (!env.REDIS_URL && !env.UPSTASH_REDIS_REST_URL) {
      const [host, port] = hostPort(env.SANDESH_LOCAL_REDIS || LOCAL_REDIS);
      if (await tcpAnswers(host, port)) {
        notes.push(`redis: ${host}:${port}`);
        env.REDIS_URL = `redis://${host}:${port}`;
      } else {
        const bin = onPath("redis-server", env.PATH);
        if (!bin) {
          throw new LocalEnvError(
            `Sandesh needs Redis and none answers at ${host}:${port}: start one (\`redis-server --daemonize yes\`) or set REDIS_URL=redis://host:6379 (or UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN)`,
          );
        }
        started.redis = await startChildRedis(bin, dataDir, host, port);
        env.REDIS_URL = started.redis.url;
        notes.push(`redis: none answered at ${host}:${port}, so ${bin} runs there as a child of this process (data in ${dataDir}/redis)`);
      }
    }

    if (!env.DATABASE_URL) {
      started.database = await localDatabase(dataDir, { address: env.SANDESH_LOCAL_POSTGRES || undefined, attach: Boolean(opts.attach) });
      env.DATABASE_URL = started.database.url;
      env.DATABASE_MIGRATION_URL ??= started.database.migrationUrl;
      notes.push(`database: ${started.database.description}`);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { env, notes, ...started, close };
}
