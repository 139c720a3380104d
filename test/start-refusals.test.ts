import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tcpAnswers } from "../dev/local/probe.js";
import { onPath } from "../dev/local/redis.js";
import { freePort, runTs, startTs } from "./support/spawn.js";
import { pgUrl } from "./support/servers.js";
import { TEST_SECRETS } from "./support/stack.js";

/**
 * What `npm start` does when the machine is not as it expects: each ends with one
 * clear line (no stack trace) before anything is migrated, or, for a missing Redis,
 * runs redis-server itself when it can.
 */

const rand = () => Math.random().toString(36).slice(2, 10);
const STACK_LINE = /^\s+at /m;
let dir: string;
let database: string;
let admin: postgres.Sql;
const base = () => ({ ...TEST_SECRETS, REDIS_PREFIX: `ref${rand()}:`, LOG_LEVEL: "warn" });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sandesh-refusals-"));
  // Empty: no migration has run in it, so any table there would be ours.
  database = `sandesh_empty_${process.pid}_${rand()}`;
  admin = postgres(pgUrl("postgres"), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${database}"`);
});
afterAll(async () => {
  await admin.unsafe(`drop database if exists "${database}" with (force)`);
  await admin.end();
  await rm(dir, { recursive: true, force: true });
});

const migrated = async () => {
  const sql = postgres(pgUrl(database), { max: 1, onnotice: () => {} });
  try {
    return (await sql`select count(*)::int as n from pg_tables where schemaname = 'public'`)[0]!.n as number;
  } finally {
    await sql.end();
  }
};

describe("npm start refuses in one line", () => {
  let holder: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (holder ? holder.close(() => r()) : r()));
    holder = undefined;
  });

  it("when its port is in use, before any migration runs", async () => {
    holder = createServer();
    const port = await new Promise<number>((r) => holder!.listen(0, "0.0.0.0", () => r((holder!.address() as { port: number }).port)));
    const r = await runTs("dev/server.ts", [], { ...base(), DATABASE_URL: pgUrl(database), REDIS_URL: "redis://127.0.0.1:6379", PORT: String(port) }, undefined, { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`Sandesh cannot start: port ${port} is in use by another process: stop it, or set PORT to a free port`);
    expect(r.stdout).not.toMatch(/migrations applied|listening/);
    expect(await migrated()).toBe(0);
  }, 60_000);

  it("when DATABASE_URL names a database that does not exist", async () => {
    const missing = `sandesh_missing_${rand()}`;
    const r = await runTs("dev/server.ts", [], { ...base(), DATABASE_URL: pgUrl(missing), REDIS_URL: "redis://127.0.0.1:6379", PORT: String(await freePort()) }, undefined, { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^Sandesh cannot start: DATABASE_URL names database "${missing}", which does not exist at 127\\.0\\.0\\.1:\\d+: create it \\(createdb ${missing}\\) or correct DATABASE_URL$`));
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stdout).not.toMatch(/migrations applied|listening/);
  }, 60_000);

  it("when no Redis answers and redis-server is not on the PATH", async () => {
    const redisPort = await freePort();
    // A PATH with everything but redis-server: an empty folder.
    const empty = join(dir, "empty-bin");
    await mkdir(empty, { recursive: true });
    const r = await runTs("dev/server.ts", [], { ...base(), PATH: empty, DATABASE_URL: pgUrl(database), SANDESH_LOCAL_REDIS: `127.0.0.1:${redisPort}`, PORT: String(await freePort()) }, undefined, { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^Sandesh needs Redis and none answers at 127\\.0\\.0\\.1:${redisPort}: start one`));
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(await migrated()).toBe(0);
  }, 60_000);
});

describe("npm start with no Redis answering and redis-server on the PATH", () => {
  it("runs redis-server as its child, its data under .data/redis, and stops it on exit", async () => {
    const bin = onPath("redis-server", process.env.PATH);
    expect(bin, "redis-server on the PATH").toBeTruthy();
    const only = join(dir, "redis-bin");
    await mkdir(only, { recursive: true });
    await symlink(bin!, join(only, "redis-server"));
    const redisPort = await freePort();
    const port = await freePort();
    const server = startTs("dev/server.ts", { ...base(), PATH: only, DATABASE_URL: pgUrl(database), SANDESH_LOCAL_REDIS: `127.0.0.1:${redisPort}`, PORT: String(port) }, { cwd: dir });
    try {
      await server.waitFor(/listening on/, 90_000);
      expect(server.output()).toContain(`redis: none answered at 127.0.0.1:${redisPort}, so ${join(only, "redis-server")} runs there as a child of this process (data in .data/redis)`);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(await res.json()).toEqual({ status: "ok", checks: { database: "ok", redis: "ok", vault: "ok", writer: "ok" } });
      expect(existsSync(join(dir, ".data", "redis"))).toBe(true);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(await tcpAnswers("127.0.0.1", redisPort)).toBe(false);
  }, 120_000);
});
