import postgres from "postgres";
import { buildApp } from "../../functions/app.js";
import { systemClock, type Clock } from "../../lib/clock.js";
import { createLocalQueue, type LocalQueue } from "../../lib/queue/pgboss.js";
import { parseConfig, type Config } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { createApiKey } from "../../lib/apikeys/manage.js";
import { createWorkspace } from "../../lib/workspaces/workspaces.js";
import { createNodeServices, type NodeServices } from "../../dev/services.js";
import { inject } from "vitest";
import { pgUrl, REDIS_URL } from "./servers.js";

const runPid = () => /^sandesh_tpl_(\d+)$/.exec(inject("templateDb"))![1];

/** Random, as production requires (lib/secret-strength.ts): suites run with SANDESH_ENV=production too. */
export const TEST_SECRETS = {
  MASTER_KEK: "w0-IO3lfeYtdTIIBhuygA1Is8VHAhl1PmrH1WFGly6g",
  META_APP_SECRET: "101991fb32dc1ef71b1134257e15a9f7",
  META_VERIFY_TOKEN: "yZBTkGaiTydD1-igPq0DNcUB",
};

export interface TestStack {
  database: string;
  config: Config;
  services: NodeServices;
  /** The owner connection: seeds rows and inspects what the app may not see. */
  owner: postgres.Sql;
  app: ReturnType<typeof buildApp>;
  queue: LocalQueue | undefined;
  logs: string[];
  request(path: string, init?: RequestInit): Promise<Response>;
  tenant(name?: string): Promise<{ workspaceId: string; key: string; keyId: string }>;
  close(): Promise<void>;
}

const rand = () => Math.random().toString(36).slice(2, 10);

export function testConfig(env: Record<string, string>): Config {
  const parsed = parseConfig({ SANDESH_ENV: "test", ...TEST_SECRETS, LOG_LEVEL: "debug", ...env });
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  return parsed.config;
}

/** A fresh database cloned from the migrated template, its own Redis prefix, real servers. */
export interface StackOptions {
  clock?: Clock;
  /** A real pg-boss queue in the suite's database; not consumed unless the test calls `work`. */
  localQueue?: boolean;
}

export async function createTestStack(env: Record<string, string> = {}, opts: StackOptions = {}): Promise<TestStack> {
  // The run's process id leads the name (see test/setup/global.ts): runs never collide.
  const database = `sandesh_t_${runPid()}_${rand()}`;
  const admin = postgres(pgUrl("postgres"), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${database}" template ${inject("templateDb")}`);
  await admin.end();

  const config = testConfig({
    // The application logs in as the role that owns nothing, as in production.
    DATABASE_URL: pgUrl(database, "sandesh_app"),
    DATABASE_MIGRATION_URL: pgUrl(database),
    REDIS_URL,
    REDIS_PREFIX: `t${rand()}:`,
    ...env,
  });
  const logs: string[] = [];
  const logger = createLogger("debug", (l) => logs.push(l));
  const queue = opts.localQueue ? await createLocalQueue({ connectionString: config.migrationDatabaseUrl, logger, retryDelaySeconds: 1, pollSeconds: 0.5 }) : undefined;
  const services = createNodeServices(config, { logger, clock: opts.clock ?? systemClock, dbMax: 4, ...(queue ? { queue } : {}) });
  const owner = postgres(pgUrl(database), { max: 2, onnotice: () => {} });
  const app = buildApp();
  return {
    database,
    config,
    services,
    owner,
    app,
    queue,
    logs,
    request: (path, init) => Promise.resolve(app.fetch(new Request(`http://sandesh.test${path}`, init), { services, ip: "203.0.113.7" })),
    async tenant(name = "Tenant") {
      const w = await createWorkspace(services, `${name} ${rand()}`);
      const k = await createApiKey(services, w.id, "test", { actorType: "operator", actorId: "test" });
      return { workspaceId: w.id, key: k.key, keyId: k.id };
    },
    async close() {
      await services.close();
      await owner.end({ timeout: 2 });
      const a = postgres(pgUrl("postgres"), { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${database}" with (force)`);
      await a.end();
    },
  };
}

/** The environment a child process (npm start, dev:worker) needs to run on this stack's database and Redis prefix. */
export const childEnv = (stack: TestStack): Record<string, string> => ({
  ...TEST_SECRETS,
  SANDESH_ENV: "development",
  LOG_LEVEL: "warn",
  DATABASE_URL: stack.config.databaseUrl,
  DATABASE_MIGRATION_URL: stack.config.migrationDatabaseUrl,
  REDIS_URL,
  REDIS_PREFIX: stack.config.redis.prefix,
});
