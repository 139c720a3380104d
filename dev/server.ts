import { localStartup } from "./local/startup.js";
import { databaseProblem, portProblem } from "./local/preflight.js";
import { serve } from "@hono/node-server";
import { migrate } from "../db/migrate.js";
import { createDatabase } from "../db/client.js";
import { loginRoleProblems } from "../db/role-check.js";
import { APP_ROLE } from "../db/tenant.js";
import { buildApp } from "../functions/app.js";
import { parseConfig } from "../lib/config.js";
import { createNodeServices } from "./services.js";
import { createNodeQueue, startWorkers } from "./queue.js";
import { createLogger } from "../lib/logger.js";
import { recordVaultKeys } from "../lib/vault/key-check.js";
import { Vault } from "../lib/vault/vault.js";
import type { IncomingMessage } from "node:http";
import { nodeClientIp } from "./client-ip.js";
import { answerClientError } from "./client-error.js";

/**
 * `npm start`: Sandesh as one Node process. Fills in local defaults where nothing is
 * configured (never in production), migrates, and serves the same app as the Worker.
 */
async function main() {
  const host = process.env.HOST ?? "0.0.0.0";
  // A port in use ends here, before anything is started or migrated.
  const busy = await portProblem(Number(process.env.PORT ?? 8787), host);
  if (busy) {
    console.error(`Sandesh cannot start: ${busy}`);
    process.exit(1);
  }
  const { local, sandbox } = await localStartup(Number(process.env.PORT ?? 8787));
  const refuse = async (line: string) => {
    console.error(line);
    await sandbox?.close();
    await local.close();
    process.exit(1);
  };
  const parsed = parseConfig(local.env);
  if (!parsed.ok) return refuse(`Sandesh cannot start; fix these environment variables:\n${parsed.problems.map((p) => `  ${p}`).join("\n")}`);
  let config = parsed.config;
  for (const note of local.notes) console.log(note.startsWith("WARNING") ? `\n*** ${note} ***\n` : note);
  const unreachable =
    (await databaseProblem(config.migrationDatabaseUrl, config.migrationDatabaseUrl === config.databaseUrl ? "DATABASE_URL" : "DATABASE_MIGRATION_URL")) ??
    (config.migrationDatabaseUrl === config.databaseUrl ? undefined : await databaseProblem(config.databaseUrl, "DATABASE_URL"));
  if (unreachable) return refuse(`Sandesh cannot start: ${unreachable}`);

  const m = await migrate(config.migrationDatabaseUrl);
  console.log(m.applied.length ? `migrations applied: ${m.applied.join(", ")}` : "database schema up to date");

  const logger = createLogger(config.logLevel);
  // With the embedded defaults, the app logs in as sandesh_app when the server lets it
  // (trust or peer auth, as on a developer's machine); the owner URL stays for migrations.
  if (local.database) {
    const appUrl = new URL(config.databaseUrl);
    appUrl.username = APP_ROLE;
    const tryApp = createDatabase(appUrl.toString(), { max: 1 });
    const ok = await tryApp.sql`select 1`.then(() => true, () => false);
    await tryApp.close();
    if (ok) config = { ...config, databaseUrl: appUrl.toString() };
  }
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
  // A wrong MASTER_KEK would seal new tokens under the wrong key and strand every send:
  // refused here, one line per key version that does not match (lib/vault/key-check.ts).
  const owner = createDatabase(config.migrationDatabaseUrl, { max: 1 });
  const vaultProblems = await recordVaultKeys(owner.db, new Vault(config.vault)).finally(() => owner.close());
  if (vaultProblems.length) {
    for (const p of vaultProblems) console.error(`Sandesh refuses to serve: ${p}`);
    process.exit(1);
  }
  const queue = await createNodeQueue(config, logger);
  const services = createNodeServices(config, { logger, queue });
  const stopWorkers = await startWorkers(services, config.sweepIntervalS ? { sweepEveryMs: config.sweepIntervalS * 1000 } : {});
  const app = buildApp();
  const server = serve(
    { fetch: (req, env) => app.fetch(req, { services, ...nodeClientIp(config.trustProxy, (env as { incoming?: IncomingMessage }).incoming) }), port: config.port, hostname: host },
    (info) => {
      console.log(`Sandesh listening on http://localhost:${info.port} (public URL ${config.publicUrl}; redis ${config.redis.kind}; queue ${queue.kind === "qstash" ? "QStash" : "local (PostgreSQL)"})`);
    },
  );

  const stop = async (code = 0) => {
    stopWorkers();
    server.close();
    await services.close();
    await sandbox?.close();
    await local.close();
    process.exit(code);
  };
  // Taken in the moment since the check above: still one line, not a stack trace.
  server.on("clientError", answerClientError);
  server.on("error", (err: NodeJS.ErrnoException) => {
    console.error(`Sandesh cannot start: ${err.code === "EADDRINUSE" ? `port ${config.port} is in use by another process: stop it, or set PORT to a free port` : err.message}`);
    void stop(1);
  });
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

await main();
