import { localStartup } from "./local/startup.js";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { migrate } from "../db/migrate.js";
import { parseConfig } from "../lib/config.js";
import { startUpstashFront, type UpstashFront } from "./upstash-rest/server.js";
import { startLocalQStash, type LocalQStash } from "./qstash/server.js";
import { databaseProblem, portProblem } from "./local/preflight.js";

/**
 * `npm run dev:worker`: the Cloudflare Worker (functions/index.ts) in workerd, offline,
 * against local servers. Redis is reached the way the Worker reaches Upstash, through
 * the local Upstash REST front; PostgreSQL over TCP sockets, as in production.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Wrangler's own entry, run with this Node (no npx: nothing is looked up or fetched). */
export const WRANGLER_BIN = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** Only what the Worker reads; never the Node-only settings (REDIS_URL, the migration owner). */
const NODE_ONLY = new Set(["REDIS_URL", "DATABASE_MIGRATION_URL", "PORT"]);

/** Wrangler without network, telemetry, prompts or hotkeys. */
export const OFFLINE_WRANGLER_ENV: Record<string, string> = {
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  // request.cf is filled from a fallback instead of workers.cloudflare.com/cf.json.
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  NO_UPDATE_NOTIFIER: "1",
};

export interface WorkerDevOptions {
  /**
   * The Worker's environment (DATABASE_URL, MASTER_KEK, META_* …). With no
   * UPSTASH_REDIS_REST_URL a local Upstash front is started over `redisUrl`.
   */
  env: Record<string, string | undefined>;
  /** The Redis behind the local Upstash front; REDIS_URL from `env`, else 127.0.0.1:6379. */
  redisUrl?: string;
  /** 0 or unset: a free port. */
  port?: number;
  host?: string;
  /** Wrangler's and the Worker's output, line by line; default: this process's stdout/stderr. */
  onOutput?: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface WorkerDev {
  url: string;
  /** Settles when wrangler exits, with its exit code (null after a signal). */
  exited: Promise<number | null>;
  close(): Promise<void>;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** KEY='value' lines for wrangler's --env-file (dotenv: single quotes are literal). */
function envFile(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([k, v]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/i.test(k)) throw new Error(`${k}: not a variable name`);
      if (/['\r\n]/.test(v)) throw new Error(`${k}: a value for the Worker may not contain a quote or a line break`);
      return `${k}='${v}'`;
    })
    .join("\n") + "\n";
}

/**
 * Starts `wrangler dev` (local, offline) on the Worker and resolves once GET /healthz
 * answers 200. The secrets go to wrangler in a private temporary env file, not on
 * its command line and not in the project's own .dev.vars.
 */
export async function startWorkerDev(opts: WorkerDevOptions): Promise<WorkerDev> {
  const host = opts.host ?? "127.0.0.1";
  const write = opts.onOutput ?? ((line: string) => process.stdout.write(line + "\n"));
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env)) if (v !== undefined && v !== "" && !NODE_ONLY.has(k)) vars[k] = v;
  // wrangler.toml says production for deployments; a local run is development unless told.
  vars.SANDESH_ENV ??= "development";

  let front: UpstashFront | undefined;
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  const cleanup = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child!.once("exit", () => r()));
      signalGroup(child, "SIGTERM");
      const timer = setTimeout(() => signalGroup(child!, "SIGKILL"), 5000);
      await gone;
      clearTimeout(timer);
    }
    await front?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  };

  try {
    if (!vars.UPSTASH_REDIS_REST_URL) {
      front = await startUpstashFront({ redisUrl: opts.redisUrl ?? opts.env.REDIS_URL ?? "redis://127.0.0.1:6379", token: randomBytes(24).toString("base64url") });
      vars.UPSTASH_REDIS_REST_URL = front.url;
      vars.UPSTASH_REDIS_REST_TOKEN = front.token;
    }
    if (opts.port) {
      // Else another server there would answer the health check in the Worker's place.
      const busy = await portProblem(opts.port, host);
      if (busy) throw new Error(busy);
    }
    const port = opts.port || (await freePort(host));
    dir = await mkdtemp(join(tmpdir(), "sandesh-worker-"));
    const vars_path = join(dir, "worker.env");
    await writeFile(vars_path, envFile(vars), { mode: 0o600 });

    const args = [
      WRANGLER_BIN, "dev", "--local",
      "--ip", host, "--port", String(port),
      // Given explicitly, so wrangler skips the project's .dev.vars and .env files.
      "--env-file", vars_path,
      "--persist-to", join(dir, "state"),
      "--show-interactive-dev-session=false",
      "--live-reload=false",
      "--log-level", "info",
    ];
    const spawned = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), ...OFFLINE_WRANGLER_ENV },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: wrangler and its workerd stop together.
      detached: true,
    });
    child = spawned;
    // Should this process end without close() (an uncaught error), wrangler goes with it.
    const orphanGuard = () => signalGroup(spawned, "SIGTERM");
    process.once("exit", orphanGuard);
    void new Promise((r) => spawned.once("exit", r)).then(() => process.off("exit", orphanGuard));
    const recent: string[] = [];
    const lines = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split(/\r?\n/)) {
        if (!line.trim()) continue;
        recent.push(line);
        if (recent.length > 40) recent.shift();
        write(line);
      }
    };
    spawned.stdout!.on("data", lines);
    spawned.stderr!.on("data", lines);
    const exited = new Promise<number | null>((resolve) => {
      spawned.once("exit", (code) => resolve(code));
      spawned.once("error", (err) => {
        write(`wrangler could not start: ${err.message}`);
        resolve(-1);
      });
    });

    const url = `http://${host}:${port}`;
    await waitForHealth(url, exited, opts.readyTimeoutMs ?? 45_000, () => recent.join("\n"));
    let closing: Promise<void> | undefined;
    return {
      url,
      exited,
      close: () => (closing ??= cleanup()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

/** Polls GET /healthz until it answers 200; fails early if wrangler exits first. */
async function waitForHealth(url: string, exited: Promise<number | null>, timeoutMs: number, output: () => string): Promise<void> {
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (gone !== undefined) throw new Error(`wrangler dev exited (code ${gone}) before the Worker was ready:\n${output()}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
      const body = await res.text();
      if (res.status === 200) return;
      last = `${res.status} ${body}`;
    } catch (err) {
      last = (err as Error).message;
    }
    // Wait for the next poll, or for wrangler to exit, whichever is first.
    await Promise.race([new Promise((r) => setTimeout(r, 250)), exited]);
  }
  throw new Error(`the Worker at ${url} was not healthy within ${timeoutMs} ms (last: ${last}):\n${output()}`);
}

/** The command: local defaults like `npm start`, migrations, then wrangler dev until it exits. */
async function main() {
  const port = Number(process.env.PORT ?? 8788);
  const publicUrl = process.env.PUBLIC_URL ?? `http://localhost:${port}`;
  // Another server on the port would answer the health check in the Worker's place.
  const busy = await portProblem(port, "127.0.0.1");
  if (busy) {
    console.error(`The Worker cannot start: ${busy}`);
    process.exit(1);
  }
  const { local, sandbox } = await localStartup(port);
  let qstash: LocalQStash | undefined;
  const stopLocal = async () => {
    await qstash?.close();
    await sandbox?.close();
    await local.close();
  };
  const refuse = async (line: string) => {
    console.error(line);
    await stopLocal();
    process.exit(1);
  };
  // No QStash configured (outside production): the local one stands in, delivering to this Worker.
  if (!local.env.QSTASH_TOKEN && local.env.SANDESH_ENV !== "production") {
    qstash = await startLocalQStash({ port: 0 });
    Object.assign(local.env, qstash.env());
    local.notes.push(`queue: no QSTASH_TOKEN, so the local QStash stands in at ${qstash.url}; it delivers to ${publicUrl}/jobs/send`);
  }
  // The Worker validates its own env; checking here first gives the same messages before wrangler starts.
  const parsed = parseConfig({ ...local.env, PUBLIC_URL: publicUrl });
  if (!parsed.ok) return refuse(`The Worker cannot start; fix these environment variables:\n${parsed.problems.map((p) => `  ${p}`).join("\n")}`);
  for (const note of local.notes) console.log(note.startsWith("WARNING") ? `\n*** ${note} ***\n` : note);
  const unreachable = await databaseProblem(parsed.config.migrationDatabaseUrl, parsed.config.migrationDatabaseUrl === parsed.config.databaseUrl ? "DATABASE_URL" : "DATABASE_MIGRATION_URL");
  if (unreachable) return refuse(`The Worker cannot start: ${unreachable}`);
  const m = await migrate(parsed.config.migrationDatabaseUrl);
  console.log(m.applied.length ? `migrations applied: ${m.applied.join(", ")}` : "database schema up to date");
  if (!parsed.config.qstash) console.log("queue: no QSTASH_TOKEN, so POST /v1/messages answers 503 in the Worker (`npm start` has a local queue)");

  let worker: WorkerDev;
  try {
    worker = await startWorkerDev({ env: { ...local.env, PUBLIC_URL: publicUrl, SANDESH_ENV: local.env.SANDESH_ENV ?? "development" }, port });
  } catch (err) {
    console.error((err as Error).message);
    await stopLocal();
    process.exit(1);
  }
  console.log(`Sandesh Worker (workerd, via wrangler dev) listening on ${worker.url} (redis through the Upstash REST front)`);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await worker.close();
    await stopLocal();
    process.exit(code);
  };
  process.once("SIGINT", () => void stop(0));
  process.once("SIGTERM", () => void stop(0));
  void worker.exited.then((code) => {
    if (!stopping) console.error(`wrangler exited (code ${code})`);
    void stop(code ?? 1);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
