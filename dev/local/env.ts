import { fillDevSecrets } from "./secrets.js";
import { localDatabase, type LocalDatabase } from "./postgres.js";
import { tcpAnswers } from "./probe.js";

export interface LocalEnv {
  env: Record<string, string | undefined>;
  notes: string[];
  database?: LocalDatabase;
}

export class LocalEnvError extends Error {}

/**
 * Embedded defaults for `npm start` and the admin CLI on a fresh machine. In
 * production nothing is filled in: configuration must be complete.
 */
export async function resolveLocalEnv(raw: Record<string, string | undefined>, dataDir: string): Promise<LocalEnv> {
  const env = { ...raw };
  const notes: string[] = [];
  if (env.SANDESH_ENV === "production") return { env, notes };

  const generated = await fillDevSecrets(env, dataDir);
  if (generated.length) {
    notes.push(`WARNING: development secrets in use for ${generated.join(", ")} (kept in ${dataDir}/dev-secrets.json). Set them, and SANDESH_ENV=production, for real traffic.`);
  }

  let database: LocalDatabase | undefined;
  if (!env.DATABASE_URL) {
    database = await localDatabase(dataDir);
    env.DATABASE_URL = database.url;
    env.DATABASE_MIGRATION_URL ??= database.migrationUrl;
    notes.push(`database: ${database.description}`);
  }

  if (!env.REDIS_URL && !env.UPSTASH_REDIS_REST_URL) {
    if (!(await tcpAnswers("127.0.0.1", 6379))) {
      throw new LocalEnvError(
        "Sandesh needs Redis and none answers at 127.0.0.1:6379: start one (`redis-server --daemonize yes`) or set REDIS_URL=redis://host:6379 (or UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN)",
      );
    }
    env.REDIS_URL = "redis://127.0.0.1:6379";
    notes.push("redis: 127.0.0.1:6379");
  }
  return { env, notes, ...(database ? { database } : {}) };
}
