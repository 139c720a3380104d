import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";
import postgres from "postgres";
import { migrate } from "../../db/migrate.js";

export const PG_ADMIN = process.env.BENCH_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.BENCH_REDIS ?? "redis://127.0.0.1:6379";
export const SECRETS = {
  MASTER_KEK: "bench-master-kek-0123456789abcdef0123456789abcdef",
  META_APP_SECRET: "bench-meta-app-secret-0123456789",
  META_VERIFY_TOKEN: "bench-verify-token-0123456789",
};

/** A fresh, migrated database for one benchmark. */
export async function freshDatabase(name: string): Promise<{ ownerUrl: string; appUrl: string; drop(): Promise<void> }> {
  const admin = postgres(PG_ADMIN, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const base = new URL(PG_ADMIN);
  const ownerUrl = `postgres://${base.username}@${base.host}/${name}`;
  await migrate(ownerUrl);
  return {
    ownerUrl,
    appUrl: `postgres://sandesh_app@${base.host}/${name}`,
    async drop() {
      const a = postgres(PG_ADMIN, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** Starts a bench server in its own process and waits for it to print READY <port>. */
export function startServer(entry: string, env: Record<string, string>): Promise<{ port: number; child: ChildProcess; stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    // BENCH_PROFILE=dir writes a CPU profile of each server to dir (inspect with any .cpuprofile viewer).
    const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
    const child = spawn(process.execPath, [...profile, "--import", "tsx", entry], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) resolve({ port: Number(m[1]), child, stop: () => new Promise((r) => { child.once("exit", () => r()); child.kill("SIGTERM"); }) });
    });
    child.once("exit", (code) => reject(new Error(`${entry} exited with ${code} before it was ready`)));
  });
}

export const machine = () => `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
