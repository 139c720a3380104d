import { spawn } from "node:child_process";
import { freePort } from "./private-servers.js";
import { TEST_SECRETS } from "./stack.js";

/**
 * Sandesh as `npm start` runs it, in a child process of its own, so a fault that kills
 * the process (or wedges it) shows as what an operator would see.
 */
export interface SandeshProcess {
  url: string;
  output(): string;
  /** Null while it runs; its exit code or signal once it died. */
  exited(): string | null;
  stop(): Promise<void>;
}

export async function startSandesh(env: Record<string, string>): Promise<SandeshProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "dev/server.ts"], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      SANDESH_ENV: "development",
      ...TEST_SECRETS,
      LOG_LEVEL: "warn",
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let exit: string | null = null;
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const gone = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = signal ?? String(code);
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Sandesh did not start within 30 s:\n${out}`)), 30_000);
    const onData = () => {
      if (out.includes("Sandesh listening")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    void gone.then(() => {
      clearTimeout(timer);
      reject(new Error(`Sandesh exited (${exit}) before listening:\n${out}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    exited: () => exit,
    async stop() {
      if (exit !== null) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await gone;
      clearTimeout(t);
    },
  };
}
