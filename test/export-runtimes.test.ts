import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openChunk } from "../lib/exports/chunks.js";
import { rotateExportChunks } from "../lib/exports/rotate.js";
import { visibleText } from "./support/dashboard-kit.js";
import { eventually } from "./support/eventually.js";
import { qstashRig, type QueueRig } from "./support/queue-harness.js";
import { freePort, startTs } from "./support/spawn.js";
import { childEnv, createTestStack, testConfig, TEST_SECRETS, type TestStack } from "./support/stack.js";
import { createNodeServices } from "../dev/services.js";
import { exportChunks } from "../db/schema/index.js";
import { withTenant } from "../db/tenant.js";
import { exportKit } from "./support/export-kit.js";

// Exports beyond the API's own path: vault rotation of files waiting to be downloaded, the
// dashboard's ask-approve-download, and the production job on QStash and in the Worker.
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
});
afterAll(() => stack.close());
const { tenant, number, seedContacts, call, ask, download, produce, member, chunks, lines } = exportKit(() => stack);

describe("exports and vault rotation", () => {
  it("vault rotate re-seals a ready file's chunks under the new key: the file opens without the old one, the same", async () => {
    const t = await tenant();
    await seedContacts(t.workspaceId, 1200);
    // Raising the threshold is an owner's (a key may only lower it).
    expect((await (await member(t, "owner")).post("/app/exports/threshold", { export_approval_threshold: "5000" })).status).toBe(303);
    const id = (await ask(t.key, { kind: "contacts" })).json.id as string;
    expect(await produce(t, id)).toBe("ready");
    const read = (s: typeof stack.services) => withTenant(s.db, t.workspaceId, async (tx) => Promise.all((await tx.select().from(exportChunks)).sort((x, y) => x.seq - y.seq).map((c) => openChunk(s, c))));
    const before = await read(stack.services);
    const env = { DATABASE_URL: stack.config.databaseUrl, DATABASE_MIGRATION_URL: stack.config.migrationDatabaseUrl, REDIS_URL: stack.config.redis.kind === "tcp" ? stack.config.redis.url : "", REDIS_PREFIX: stack.config.redis.prefix };
    const next = createNodeServices(testConfig({ ...env, MASTER_KEK: "rotated-master-kek-abcdefghijklmnopqrstuvwxyz012345", VAULT_KEY_VERSION: "2", MASTER_KEK_V1: TEST_SECRETS.MASTER_KEK }), { databaseUrl: stack.config.migrationDatabaseUrl });
    try {
      expect(await rotateExportChunks(next, [t.workspaceId])).toEqual({ rotated: 2 });
      expect((await stack.owner`select distinct data_key_version as v from export_chunks where export_id = ${id}`).map((r) => r.v)).toEqual([2]);
      expect(await read(next)).toEqual(before);
      // The old key alone no longer opens them; a second rotation has nothing to do.
      await expect(read(stack.services)).rejects.toThrow(/MASTER_KEK_V2|wrong MASTER_KEK/);
      expect(await rotateExportChunks(next, [t.workspaceId])).toEqual({ rotated: 0 });
    } finally {
      await next.close();
    }
  });
});

describe("exports in the dashboard", () => {
  it("an admin asks for an export from the contacts page, the owner approves it, the admin downloads it once", async () => {
    const t = await tenant();
    await call(t.key, "/v1/workspace/export-approval", { method: "PUT", body: JSON.stringify({ export_approval_threshold: 3 }) });
    await seedContacts(t.workspaceId, 8);
    const admin = await member(t, "admin");
    const contactsPage = await admin.get("/app/contacts?tag=even");
    expect(contactsPage.html).toContain('action="/app/exports"');
    expect(contactsPage.html).toContain('name="tag" value="even"');
    const asked = await admin.post("/app/exports", { kind: "contacts", format: "csv", tag: "even" });
    expect(asked.status).toBe(303);
    const [row] = await stack.owner<{ id: string; status: string; row_count: number; requester_type: string; requester_id: string }[]>`select id, status, row_count, requester_type, requester_id from exports where workspace_id = ${t.workspaceId}`;
    expect(row).toMatchObject({ status: "pending_approval", row_count: 4, requester_type: "user", requester_id: admin.who.userId });
    expect(visibleText((await admin.get("/app/exports")).html)).toContain("pending approval");
    // An agent may not ask for exports at all.
    const agent = await member(t, "agent");
    expect((await agent.post("/app/exports", { kind: "contacts" })).status).toBe(403);
    expect((await agent.get("/app/contacts")).html).not.toContain('action="/app/exports"');

    const owner = await member(t, "owner");
    expect((await owner.post(`/app/exports/${row!.id}/approve`)).status).toBe(303);
    expect(await produce(t, row!.id)).toBe("ready");
    expect((await admin.get("/app/exports")).html).toContain(`/app/exports/${row!.id}/download`);
    // The key of the workspace is not who asked.
    expect((await download(t.key, row!.id)).status).toBe(403);
    const file = await admin.get(`/app/exports/${row!.id}/download`);
    expect(file.status).toBe(200);
    expect(lines(file.html)).toHaveLength(5);
    expect((await admin.get(`/app/exports/${row!.id}/download`)).status).toBe(410);
  });
});

describe("exports on QStash", () => {
  let rig: QueueRig;
  beforeAll(async () => {
    rig = await qstashRig(3);
  });
  afterAll(() => rig.close());

  it("an approved export's job comes back signed to /jobs/export and produces the file", async () => {
    const t = await tenant(rig.stack);
    await rig.stack.owner`insert into contacts (workspace_id, wa_id, name) select ${t.workspaceId}, '9197' || lpad(i::text, 8, '0'), 'Q ' || i from generate_series(1, 1200) i`;
    // Raising the threshold is an owner's on the dashboard (test/export-approvals.test.ts); here it is set as the database's owner.
    await rig.stack.owner`update workspaces set export_approval_threshold = 5000 where id = ${t.workspaceId}`;
    const asked = await ask(t.key, { kind: "contacts" }, rig.stack);
    expect(asked.json).toMatchObject({ status: "queued", rows: 1200 });
    const ready = await eventually(() => call(t.key, `/v1/exports/${asked.json.id}`, {}, rig.stack), (r) => r.json?.status === "ready", 60_000);
    expect(ready.json).toMatchObject({ rows_written: 1200 });
    const file = await download(t.key, asked.json.id, rig.stack);
    expect(file.status).toBe(200);
    expect(lines(file.text)).toHaveLength(1201);
    expect((await download(t.key, asked.json.id, rig.stack)).status).toBe(410);
  }, 90_000);
});

describe("exports in the Worker (workerd)", () => {
  it("the job comes back through QStash to the Worker's /jobs/export, seals the file there, and the Worker streams the download once", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const edge = startTs("dev/worker.ts", { ...childEnv(stack), PORT: String(port), PUBLIC_URL: base });
    try {
      await edge.waitFor(/listening on/, 120_000);
      const t = await tenant();
      await seedContacts(t.workspaceId, 1500);
      await stack.owner`update workspaces set export_approval_threshold = 2000 where id = ${t.workspaceId}`;
      const auth = { authorization: `Bearer ${t.key}`, "content-type": "application/json" };
      const res = await fetch(`${base}/v1/exports`, { method: "POST", headers: auth, body: JSON.stringify({ kind: "contacts", format: "jsonl" }) });
      const asked = (await res.json()) as { id: string; status: string };
      expect(res.status, JSON.stringify(asked)).toBe(202);
      expect(asked.status).toBe("queued");
      const ready = await eventually(
        async () => (await (await fetch(`${base}/v1/exports/${asked.id}`, { headers: auth })).json()) as Record<string, unknown>,
        (v) => v.status === "ready" || v.status === "failed",
        60_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${edge.output().slice(-3000)}`);
      });
      expect(ready).toMatchObject({ status: "ready", rows_written: 1500 });
      expect(await chunks(asked.id)).toBe(2);
      const file = await fetch(`${base}/v1/exports/${asked.id}/download`, { headers: auth });
      expect(file.status).toBe(200);
      const records = (await file.text()).trimEnd().split("\n").map((l) => JSON.parse(l) as { wa_id: string });
      expect(new Set(records.map((r) => r.wa_id)).size).toBe(1500);
      expect((await fetch(`${base}/v1/exports/${asked.id}/download`, { headers: auth })).status).toBe(410);
      expect(await chunks(asked.id)).toBe(0);
    } finally {
      await edge.stop();
    }
  }, 300_000);
});
