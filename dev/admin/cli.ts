import { parseArgs } from "node:util";
import { parseConfig } from "../../lib/config.js";
import { AppError } from "../../lib/errors.js";
import { LocalEnvError, resolveLocalEnv } from "../local/env.js";
import { createNodeServices, type NodeServices } from "../services.js";
import { runCommand, UsageError, USAGE } from "./commands.js";
import { reason } from "./failure.js";

/** `npm run admin -- <command> [--json]`: operator commands. Exit 2 on bad usage, 1 on failure. */
async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        name: { type: "string" },
        workspace: { type: "string" },
        id: { type: "string" },
        scopes: { type: "string" },
        "phone-number-id": { type: "string" },
        "waba-id": { type: "string" },
        token: { type: "string" },
        "token-stdin": { type: "boolean" },
        "display-number": { type: "string" },
        throughput: { type: "string" },
        email: { type: "string" },
        role: { type: "string" },
        operator: { type: "string" },
        reason: { type: "string" },
        hours: { type: "string" },
        grant: { type: "string" },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: flags, positionals } = parsed;
  if (flags.help || positionals.join(" ") === "help") {
    console.log(USAGE);
    return 0;
  }
  const asJson = Boolean(flags.json);
  if (typeof flags.token === "string") {
    console.error("warning: --token leaves the Meta token in your shell history and the process list; prefer --token-stdin");
  }
  const fail = (code: string, message: string, exit: number) => {
    if (asJson) console.log(JSON.stringify({ error: { code, message } }));
    else console.error(exit === 2 ? `${message}\n\n${USAGE}` : message);
    return exit;
  };

  let services: NodeServices | undefined;
  let closeDb: (() => Promise<void>) | undefined;
  try {
    // The embedded database a running server holds is reached at the address it serves.
    const local = await resolveLocalEnv(process.env, ".data", { attach: true });
    closeDb = local.close;
    const cfg = parseConfig(local.env);
    if (!cfg.ok) return fail("misconfigured", `Configuration problems:\n${cfg.problems.join("\n")}`, 1);
    const config = { ...cfg.config, logLevel: "warn" as const };
    const result = await runCommand(positionals, flags, {
      migrationUrl: config.migrationDatabaseUrl,
      // The operator works through the owner connection: tenant work still runs as the
      // application role inside withTenant, cross-tenant look-ups use the owner's policy.
      services: async () => (services ??= createNodeServices(config, { databaseUrl: config.migrationDatabaseUrl, dbMax: 2 })),
      readStdin: async () => {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        return Buffer.concat(chunks).toString("utf8");
      },
    });
    console.log(asJson ? JSON.stringify(result.json) : result.text);
    return result.exitCode ?? 0;
  } catch (err) {
    if (err instanceof UsageError) return fail("usage", err.message, 2);
    if (err instanceof AppError) return fail(err.code, err.message, 1);
    if (err instanceof LocalEnvError) return fail("unavailable", err.message, 1);
    return fail("failed", reason(err), 1);
  } finally {
    await services?.close();
    await closeDb?.();
  }
}

process.exitCode = await main(process.argv.slice(2));
