import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * PostgreSQL and Redis servers of a fault test's own, on free ports in a temp dir, which
 * the test may stop and start at will (the shared servers are never touched).
 */
const run = promisify(execFile);
const PG_BIN = process.env.TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PrivatePostgres {
  port: number;
  url(database?: string, user?: string): string;
  /** `pg_ctl stop -m immediate`: every connection dies at once, as in a crash. */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** initdb as the postgres user (root may not run PostgreSQL), trust auth, loopback only. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), "sandesh-pg-"));
  const data = join(dir, "data");
  chownSync(dir, uidOf("postgres"), gidOf("postgres"));
  const port = await freePort();
  const asPg = (cmd: string, args: string[]) => run("runuser", ["-u", "postgres", "--", join(PG_BIN, cmd), ...args]);
  await asPg("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const start = () =>
    asPg("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-w", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`, "start"]).then(() => undefined);
  await start();
  return {
    port,
    url: (database = "postgres", user = "postgres") => `postgres://${user}@127.0.0.1:${port}/${database}`,
    stop: () => asPg("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).then(() => undefined),
    start,
    async destroy() {
      await asPg("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "ignore"] });
    const c = child;
    await new Promise<void>((resolve, reject) => {
      let out = "";
      c.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("Ready to accept connections")) resolve();
      });
      c.once("exit", (code) => reject(new Error(`redis-server exited with ${code}`)));
    });
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, stop, destroy: stop };
}

function uidOf(user: string): number {
  return Number(idOf(user, "-u"));
}
function gidOf(user: string): number {
  return Number(idOf(user, "-g"));
}
function idOf(user: string, flag: string): string {
  return execFileSync("id", [flag, user]).toString().trim();
}
