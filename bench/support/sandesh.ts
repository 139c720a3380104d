import { spawn } from "node:child_process";

/**
 * Sandesh as `npm start` runs it (dev/server.ts: the app, its local-queue workers, sweeps,
 * pg-boss supervision) in its own process; resolves once it is listening on env.PORT.
 */
export function startSandesh(env: Record<string, string>): Promise<{ stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
    const child = spawn(process.execPath, [...profile, "--import", "tsx", "dev/server.ts"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Sandesh listening")) resolve({ stop: () => new Promise((r) => (child.once("exit", () => r()), child.kill("SIGTERM"))) });
    });
    child.once("exit", (code) => reject(new Error(`Sandesh exited with ${code} before listening:\n${out}`)));
  });
}
