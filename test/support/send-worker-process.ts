import { startWorkers } from "../../dev/queue.js";
import { createNodeServices } from "../../dev/services.js";
import { parseConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { createLocalQueue } from "../../lib/queue/pgboss.js";

/**
 * A send worker in a process of its own, configured by its environment as the Node
 * process would be: a test kills it (SIGKILL) in the middle of a batch.
 */
const parsed = parseConfig(process.env);
if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
const logger = createLogger("warn");
const queue = await createLocalQueue({ connectionString: parsed.config.migrationDatabaseUrl, logger, retryDelaySeconds: 1, pollSeconds: 0.5 });
const services = createNodeServices(parsed.config, { logger, queue, dbMax: 4 });
await startWorkers(services, { concurrency: 2, sweepEveryMs: 3_600_000 });
console.log("send worker ready");
