import { serve } from "@hono/node-server";
import { buildApp } from "../../functions/app.js";
import { parseConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { createLocalQueue } from "../../lib/queue/pgboss.js";
import { createNodeServices } from "../../dev/services.js";
import { runImport } from "../../lib/contacts/import-run.js";

/**
 * Sandesh's app as `npm start` serves it, with its local queue, but without the
 * in-process workers: the accept benchmark measures accepting, not sending. With
 * BENCH_IMPORT_WORKER=1 it runs contacts imports' jobs, as npm start does.
 */
const parsed = parseConfig(process.env);
if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
const config = { ...parsed.config, logLevel: "silent" as const };
const logger = createLogger("silent");
const queue = await createLocalQueue({ connectionString: config.migrationDatabaseUrl, logger });
const services = createNodeServices(config, { logger, queue, dbMax: Number(process.env.BENCH_DB_POOL ?? 16) });
if (process.env.BENCH_IMPORT_WORKER === "1") {
  await queue.workImports(async (items) => {
    for (const { job } of items) await runImport(services, job);
    return items.map(() => "done" as const);
  });
}
const app = buildApp();
serve({ fetch: (req) => app.fetch(req, { services, ip: "127.0.0.1" }), port: 0, hostname: "127.0.0.1" }, (info) => console.log(`READY ${info.port}`));
process.once("SIGTERM", async () => {
  await services.close();
  process.exit(0);
});
