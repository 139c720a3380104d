import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** tsx's loader and entry points by absolute path, so a child may run in any folder (its own .data/). */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const at = (entry: string) => (entry.startsWith("/") ? entry : `${ROOT}${entry}`);
const baseEnv = () => ({ PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", TSX_TSCONFIG_PATH: fileURLToPath(new URL("../../tsconfig.json", import.meta.url)) });

/** Runs a TypeScript entry point with tsx, as `npm run …` would, and collects its output. */
export function runTs(entry: string, args: string[], env: Record<string, string>, stdin?: string, opts: { cwd?: string } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TSX, at(entry), ...args], {
      env: { ...baseEnv(), ...env },
      stdio: ["pipe", "pipe", "pipe"],
      cwd: opts.cwd ?? ROOT,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

export interface Running {
  /** Everything printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the output once it matches; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Settles with the exit code when the process ends. */
  exited: Promise<number | null>;
  /** SIGTERM (the process's own clean stop), SIGKILL if it lingers. */
  stop(): Promise<number | null>;
  child: ChildProcess;
}

/** Starts a long-running TypeScript entry point (the server, dev:worker) in `cwd`. */
export function startTs(entry: string, env: Record<string, string>, opts: { cwd?: string } = {}): Running {
  const child = spawn(process.execPath, ["--import", TSX, at(entry)], { env: { ...baseEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"], cwd: opts.cwd ?? ROOT });
  let out = "";
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d;
    for (const w of waiters) w();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
    for (const w of waiters) w();
  });
  return {
    child,
    exited,
    output: () => out,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${out}`)), timeoutMs);
        const check = () => {
          if (pattern.test(out)) done();
          else if (gone) done(new Error(`exited before ${pattern}; output:\n${out}`));
        };
        const done = (err?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve(out);
        };
        waiters.add(check);
        check();
      }),
    async stop() {
      if (!gone) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}

/** A port nothing listens on now (the OS's pick, released at once). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
