import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "./support/eventually.js";
import { freePort, runTs, startTs, type Ran, type Running } from "./support/spawn.js";
import { REDIS_URL } from "./support/servers.js";
import { TEST_SECRETS } from "./support/stack.js";

/**
 * `npm start` as a new user runs it: no configuration, in a fresh folder, with no
 * PostgreSQL reachable (the local default address points where nothing listens), so
 * the embedded PGlite under .data/ is the database, and the admin CLI has to reach it.
 */

const rand = () => Math.random().toString(36).slice(2, 10);
let dir: string;
let env: Record<string, string>;
let port: number;
let server: Running;
const base = () => `http://127.0.0.1:${port}`;
const admin = (args: string[], stdin?: string) => runTs("dev/admin/cli.ts", args, env, stdin, { cwd: dir });
const json = (r: Ran) => {
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sandesh-embedded-"));
  port = await freePort();
  env = {
    ...TEST_SECRETS,
    // Nothing listens there: the same resolution code that would find 127.0.0.1:5432 finds nothing.
    SANDESH_LOCAL_POSTGRES: `127.0.0.1:${await freePort()}`,
    REDIS_URL,
    REDIS_PREFIX: `emb${rand()}:`,
    PORT: String(port),
    LOG_LEVEL: "warn",
  };
  server = startTs("dev/server.ts", env, { cwd: dir });
  await server.waitFor(/listening on/, 120_000);
}, 150_000);

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
}, 30_000);

describe("npm start with no PostgreSQL reachable", () => {
  it("says it uses the embedded PGlite and answers /healthz 200", async () => {
    expect(server.output()).toMatch(/database: embedded PGlite/);
    const res = await fetch(`${base()}/healthz`);
    expect(await res.json()).toEqual({ status: "ok", checks: { database: "ok", redis: "ok", vault: "ok", writer: "ok" } });
    expect(server.output()).not.toMatch(/local queue error|Connection terminated/);
  });

  it("drives the operator flow through the admin CLI: workspace, key, number, a template reaches read", async () => {
    const ws = json(await admin(["workspace", "create", "--name", "Acme", "--json"]));
    const key = json(await admin(["apikey", "create", "--workspace", ws.id, "--json"]));
    const auth = { authorization: `Bearer ${key.key}` };
    const me = await fetch(`${base()}/v1/workspace`, { headers: auth });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: ws.id, name: "Acme" });

    json(await admin(["whatsapp", "connect", "--workspace", ws.id, "--phone-number-id", "1098765432", "--waba-id", "102290129340398", "--token-stdin", "--json"], "EAAEmbeddedToken0123456789"));
    const sent = await fetch(`${base()}/v1/messages`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ to: "919812345678", type: "template", template: { name: "order_update", language: { code: "en" }, category: "UTILITY" } }),
    });
    const accepted = (await sent.json()) as { id: string };
    expect(sent.status, JSON.stringify(accepted)).toBe(202);
    const read = await eventually(
      async () => (await (await fetch(`${base()}/v1/messages/${accepted.id}`, { headers: auth })).json()) as { status: string },
      (m) => m.status === "read" || m.status === "failed",
      30_000,
    );
    expect(read.status).toBe("read");

    // The contacts book and the template catalogue, on the embedded database and sandbox.
    const imported = await fetch(`${base()}/v1/contacts/imports`, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: "wa_id,name,opt_in\n+91 98123 45678,Asha,yes\nnope,Bad,\n" });
    const { id: importId } = (await imported.json()) as { id: string };
    const ended = await eventually(
      async () => (await (await fetch(`${base()}/v1/contacts/imports/${importId}`, { headers: auth })).json()) as { status: string },
      (v) => v.status === "completed" || v.status === "failed",
      30_000,
    );
    expect(ended).toMatchObject({ status: "completed", created: 1, failed: 1, errors: [{ line: 3 }] });
    const synced = await fetch(`${base()}/v1/templates/sync`, { method: "POST", headers: auth });
    expect(await synced.json()).toEqual({ synced: [{ waba_id: "102290129340398", templates: 0 }] });
    // Synced, the catalogue decides: a template it does not hold is refused before Meta.
    const refused = await fetch(`${base()}/v1/messages`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ to: "919812345678", type: "template", template: { name: "order_update", language: { code: "en" } } }),
    });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("template_not_approved");
    expect(server.output()).not.toMatch(/local queue error|Connection terminated/);
  }, 90_000);

  it("a second server on the same folder stops with one line naming the holder", async () => {
    const second = await runTs("dev/server.ts", [], { ...env, PORT: String(await freePort()) }, undefined, { cwd: dir });
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toMatch(new RegExp(`^the embedded database in \\.data/pglite is held by process ${server.child.pid} \\(serving it at 127\\.0\\.0\\.1:\\d+\\)`));
    expect(second.stderr.trim().split("\n")).toHaveLength(1);
  }, 60_000);
});

describe("the admin CLI and a held folder", () => {
  let other: string;
  afterEach(async () => {
    if (other) await rm(other, { recursive: true, force: true });
  });

  it("refuses with one line while another process holds .data/pglite without serving it yet", async () => {
    other = await mkdtemp(join(tmpdir(), "sandesh-held-"));
    await mkdir(join(other, ".data"), { recursive: true });
    // This test's own process stands in for a server that is still starting up.
    await writeFile(join(other, ".data", "pglite.lock"), JSON.stringify({ pid: process.pid }));
    const r = await runTs("dev/admin/cli.ts", ["workspace", "create", "--name", "X"], env, undefined, { cwd: other });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^the embedded database in \\.data/pglite is held by process ${process.pid} \\(starting up\\)`));
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(other, ".data", "pglite", "PG_VERSION"))).toBe(false);
  }, 60_000);
});
