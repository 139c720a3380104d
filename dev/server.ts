import { serve } from "@hono/node-server";
import { migrate } from "../db/migrate.js";
import { createDatabase } from "../db/client.js";
import { loginRoleProblems } from "../db/role-check.js";
import { APP_ROLE } from "../db/tenant.js";
import { buildApp } from "../functions/app.js";
import { parseConfig } from "../lib/config.js";
import { LocalEnvError, resolveLocalEnv } from "./local/env.js";
import { createNodeServices } from "./services.js";
import { startMetaSandbox, type MetaSandbox } from "./meta-sandbox/index.js";
import { createNodeQueue, startWorkers } from "./queue.js";
import { createLogger } from "../lib/logger.js";
import type { IncomingMessage } from "node:http";

/**
 * The socket's address. Behind one trusted proxy (TRUST_PROXY=1) the address that proxy
 * appended, the rightmost X-Forwarded-For entry: the ones left of it are the client's to invent.
 */
function clientIp(env: { incoming?: IncomingMessage }): { ip?: string } {
  const fwd = process.env.TRUST_PROXY === "1" ? env.incoming?.headers["x-forwarded-for"] : undefined;
  const ip = (typeof fwd === "string" ? fwd.split(",").at(-1)?.trim() || undefined : undefined) ?? env.incoming?.socket.remoteAddress;
  return ip ? { ip } : {};
}

/**
 * `npm start`: Sandesh as one Node process. Fills in local defaults where nothing is
 * configured (never in production), migrates, and serves the same app as the Worker.
 */
async function main() {
  let local;
  try {
    local = await resolveLocalEnv(process.env, ".data");
  } catch (err) {
    if (err instanceof LocalEnvError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  // No Graph API configured outside production: the Meta sandbox stands in, and says so.
  let sandbox: MetaSandbox | undefined;
  if (!local.env.META_GRAPH_URL && local.env.SANDESH_ENV !== "production" && local.env.META_APP_SECRET) {
    const publicUrl = local.env.PUBLIC_URL ?? `http://localhost:${local.env.PORT ?? 8787}`;
    sandbox = await startMetaSandbox({ appSecret: local.env.META_APP_SECRET, webhookUrl: `${publicUrl}/webhooks/meta`, statusDelayMs: 500 });
    local.env.META_GRAPH_URL = sandbox.url;
    local.notes.push(`meta: no META_GRAPH_URL, so the Meta sandbox stands in at ${sandbox.url} (recipes in dev/meta-sandbox/README.md); its status webhooks go to ${publicUrl}/webhooks/meta`);
  }
  const parsed = parseConfig(local.env);
  if (!parsed.ok) {
    console.error(`Sandesh cannot start; fix these environment variables:\n${parsed.problems.map((p) => `  ${p}`).join("\n")}`);
    process.exit(1);
  }
  const config = parsed.config;
  for (const note of local.notes) console.log(note.startsWith("WARNING") ? `\n*** ${note} ***\n` : note);

  const m = await migrate(config.migrationDatabaseUrl);
  console.log(m.applied.length ? `migrations applied: ${m.applied.join(", ")}` : "database schema up to date");

  const logger = createLogger(config.logLevel);
  const probe = createDatabase(config.databaseUrl, { max: 1 });
  const loginProblems = await loginRoleProblems(probe.db).finally(() => probe.close());
  if (loginProblems.length) {
    const msg = `DATABASE_URL ${loginProblems.join("; ")}: log in as ${APP_ROLE} (or a role with its rights only) and give the owner's URL as DATABASE_MIGRATION_URL`;
    if (config.env === "production") {
      console.error(`Sandesh refuses to serve: ${msg}`);
      process.exit(1);
    }
    console.log(`note: ${msg} (allowed outside production; every tenant query still runs as ${APP_ROLE})`);
  }
  const queue = await createNodeQueue(config, logger);
  const services = createNodeServices(config, { logger, queue });
  const stopWorkers = await startWorkers(services);
  const app = buildApp();
  const server = serve(
    { fetch: (req, env) => app.fetch(req, { services, ...clientIp(env as { incoming?: IncomingMessage }) }), port: config.port, hostname: process.env.HOST ?? "0.0.0.0" },
    (info) => {
      console.log(`Sandesh listening on http://localhost:${info.port} (public URL ${config.publicUrl}; redis ${config.redis.kind}; queue ${queue.kind === "qstash" ? "QStash" : "local (PostgreSQL)"})`);
    },
  );

  const stop = async () => {
    stopWorkers();
    server.close();
    await services.close();
    await local.database?.close?.();
    await sandbox?.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

await main();
