import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdir } from "node:fs/promises";
import { delimiter, join, resolve } from "node:path";
import { LocalEnvError } from "./errors.js";
import { tcpAnswers } from "./probe.js";

/** Where the no-configuration start looks for Redis; SANDESH_LOCAL_REDIS=host:port moves it. */
export const LOCAL_REDIS = "127.0.0.1:6379";

export interface ChildRedis {
  url: string;
  close(): Promise<void>;
}

/** The first executable `name` on PATH, as a shell would find it. */
export function onPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? "").split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * No Redis answers and `redis-server` is on the PATH: run one as a child of this
 * process at the default address, its data (dump.rdb) under .data/redis, stopped with us.
 */
export async function startChildRedis(bin: string, dataDir: string, host: string, port: number): Promise<ChildRedis> {
  const dir = resolve(dataDir, "redis");
  await mkdir(dir, { recursive: true });
  const child = spawn(bin, ["--port", String(port), "--bind", host, "--dir", dir, "--daemonize", "no", "--save", "60 1", "--appendonly", "no"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => {
    child.once("exit", (code) => r(code));
    child.once("error", (err) => {
      stderr += err.message;
      r(-1);
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));
  const kill = () => child.kill("SIGTERM");
  process.once("exit", kill);
  // It answers within moments; it may also fail at once (the port taken in between).
  for (let i = 0; i < 100 && !gone; i++) {
    if (await tcpAnswers(host, port, 200)) {
      return {
        url: `redis://${host}:${port}`,
        async close() {
          process.off("exit", kill);
          if (!gone) {
            kill();
            await exited;
          }
        },
      };
    }
    await Promise.race([new Promise((r) => setTimeout(r, 50)), exited]);
  }
  process.off("exit", kill);
  kill();
  throw new LocalEnvError(`redis-server (${bin}) did not start at ${host}:${port}: ${stderr.trim().split("\n").at(-1) ?? "no output"}`);
}
