import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../db/client.js";
import { withTenant } from "../db/tenant.js";
import { recordAudit } from "../lib/audit/record.js";
import { GENESIS_HASH, verifyChain } from "../lib/audit/verify.js";
import { runTs } from "./support/spawn.js";
import { childEnv, createTestStack, type TestStack } from "./support/stack.js";

/**
 * The audit hash chain: rows are chained by the database in one gap-free seq per
 * workspace, also under concurrent appends, and `npm run admin -- audit verify` (as the
 * owner role) catches a row edited, a row deleted, a row moved and the last rows cut off,
 * naming the first bad seq with exit code 1. Tampering is done as the owner, who can.
 */
let stack: TestStack;
let owner: Database;
beforeAll(async () => {
  stack = await createTestStack();
  owner = createDatabase(stack.config.migrationDatabaseUrl, { max: 1 });
});
afterAll(async () => {
  await owner?.close();
  await stack?.close();
});

const verify = (workspaceId: string) => runTs("dev/admin/cli.ts", ["audit", "verify", "--workspace", workspaceId, "--json"], childEnv(stack));

/** A workspace with n audit rows written through recordAudit, as the application. */
async function chained(n: number): Promise<string> {
  const { workspaceId } = await stack.tenant("Chain"); // creating the workspace and its key already audits
  for (let i = 0; i < n; i++) {
    await withTenant(stack.services.db, workspaceId, (tx) =>
      recordAudit(tx, { workspaceId, actorType: "user", actorId: `u${i}`, action: "test.step", objectType: "thing", objectId: String(i), ip: "198.51.100.1", userAgent: "vitest", details: { i } }));
  }
  return workspaceId;
}

const rowsOf = (workspaceId: string) =>
  stack.owner<{ seq: string; prev_hash: string; hash: string }[]>`select seq::text, prev_hash, hash from audit_log where workspace_id = ${workspaceId} order by audit_log.seq`;

describe("audit hash chain", () => {
  it("numbers each workspace's rows 1, 2, 3… each naming the previous hash, and verify finds it intact", async () => {
    const w = await chained(4);
    const rows = await rowsOf(w);
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    expect(new Set(rows.map((r) => r.hash)).size).toBe(rows.length);
    const r = await verify(w);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, workspaces: [{ workspace_id: w, ok: true, rows: rows.length, head_seq: rows.length, head_hash: rows.at(-1)!.hash }] });
  });

  it("keeps one gap-free sequence under concurrent appends, and a rolled-back append leaves no gap", async () => {
    const { workspaceId } = await stack.tenant("Concurrent");
    const before = (await rowsOf(workspaceId)).length;
    await Promise.all(Array.from({ length: 24 }, (_, i) =>
      withTenant(stack.services.db, workspaceId, (tx) => recordAudit(tx, { workspaceId, actorType: "api_key", actorId: "k", action: "test.concurrent", details: { i } }))));
    await expect(withTenant(stack.services.db, workspaceId, async (tx) => {
      await recordAudit(tx, { workspaceId, actorType: "api_key", action: "test.rolled_back" });
      throw new Error("roll back");
    })).rejects.toThrow("roll back");
    await withTenant(stack.services.db, workspaceId, (tx) => recordAudit(tx, { workspaceId, actorType: "api_key", action: "test.after" }));
    const rows = await rowsOf(workspaceId);
    expect(rows.length).toBe(before + 25);
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    expect(await verifyChain(owner.db, workspaceId)).toMatchObject({ ok: true, rows: before + 25 });
  });

  it("ignores a seq or hash the inserting statement names: the database sets them", async () => {
    const { workspaceId } = await stack.tenant("Forged");
    await stack.owner`insert into audit_log (workspace_id, actor_type, action, seq, prev_hash, hash) values (${workspaceId}, 'operator', 'test.forged', 999, 'x', 'y')`;
    const last = (await rowsOf(workspaceId)).at(-1)!;
    expect(Number(last.seq)).toBeLessThan(999);
    expect(last.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await verifyChain(owner.db, workspaceId)).toMatchObject({ ok: true });
  });

  it("catches an edited row: exit 1 naming its seq", async () => {
    const w = await chained(5);
    const target = Number((await rowsOf(w))[3]!.seq);
    await stack.owner`update audit_log set details = '{"i": 42}' where workspace_id = ${w} and seq = ${target}`;
    const r = await verify(w);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).workspaces[0]).toMatchObject({ ok: false, first_bad_seq: target, problem: "edited" });
  });

  it("accepts a data principal's erasure (wa_id replaced by its keyed hash) and counts it, but not any other change to details", async () => {
    const { workspaceId: w } = await stack.tenant("Erasure");
    await withTenant(stack.services.db, w, (tx) => recordAudit(tx, { workspaceId: w, actorType: "api_key", action: "contact.created", objectType: "contact", objectId: "c1", details: { wa_id: "919876543210", source: "api" } }));
    const seq = Number((await rowsOf(w)).at(-1)!.seq);
    await stack.owner`update audit_log set details = jsonb_set(details, '{wa_id}', '"erased:abc123"') where workspace_id = ${w} and seq = ${seq}`;
    expect(await verifyChain(owner.db, w)).toMatchObject({ ok: true, erased_rows: 1 });
    await stack.owner`update audit_log set details = jsonb_set(details, '{source}', '"import"') where workspace_id = ${w} and seq = ${seq}`;
    expect(await verifyChain(owner.db, w)).toMatchObject({ ok: false, first_bad_seq: seq, problem: "edited" });
  });

  it("catches a deleted row: exit 1 naming the missing seq", async () => {
    const w = await chained(5);
    const target = Number((await rowsOf(w))[2]!.seq);
    await stack.owner`delete from audit_log where workspace_id = ${w} and seq = ${target}`;
    const r = await verify(w);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).workspaces[0]).toMatchObject({ ok: false, first_bad_seq: target, problem: "missing" });
    const text = await runTs("dev/admin/cli.ts", ["audit", "verify", "--workspace", w], childEnv(stack));
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`first bad seq ${target}`);
  });

  it("catches a reordered row (two rows' places swapped): exit 1 naming the first moved seq", async () => {
    const w = await chained(5);
    const rows = await rowsOf(w);
    const a = Number(rows[2]!.seq);
    const b = Number(rows[3]!.seq);
    await stack.owner.begin(async (t) => {
      await t`update audit_log set seq = -1 where workspace_id = ${w} and seq = ${a}`;
      await t`update audit_log set seq = ${a} where workspace_id = ${w} and seq = ${b}`;
      await t`update audit_log set seq = ${b} where workspace_id = ${w} and seq = -1`;
    });
    const r = await verify(w);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).workspaces[0]).toMatchObject({ ok: false, first_bad_seq: a });
  });

  it("catches the newest row deleted (the chain ends before its head)", async () => {
    const w = await chained(3);
    const last = Number((await rowsOf(w)).at(-1)!.seq);
    await stack.owner`delete from audit_log where workspace_id = ${w} and seq = ${last}`;
    expect(await verifyChain(owner.db, w)).toMatchObject({ ok: false, first_bad_seq: last, problem: "head_mismatch" });
  });

  it("walks every workspace without --workspace and exits 1 if any is broken", async () => {
    const good = await chained(1);
    const bad = await chained(2);
    await stack.owner`update audit_log set action = 'test.other' where workspace_id = ${bad} and seq = 1`;
    const r = await runTs("dev/admin/cli.ts", ["audit", "verify", "--json"], childEnv(stack));
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; workspaces: { workspace_id: string; ok: boolean; first_bad_seq?: number }[] };
    expect(out.ok).toBe(false);
    expect(out.workspaces.find((x) => x.workspace_id === good)).toMatchObject({ ok: true });
    expect(out.workspaces.find((x) => x.workspace_id === bad)).toMatchObject({ ok: false, first_bad_seq: 1 });
  });
});

describe("chain heads under row-level security", () => {
  it("a tenant sees and moves only its own head, and cannot append into another workspace's chain", async () => {
    const a = await chained(1);
    const b = await chained(1);
    const seen = await withTenant(stack.services.db, a, (tx) => tx.execute<{ workspace_id: string }>(sql`select workspace_id from audit_chain_heads`));
    expect(seen.map((r) => r.workspace_id)).toEqual([a]);
    const moved = await withTenant(stack.services.db, a, (tx) => tx.execute(sql`update audit_chain_heads set seq = seq + 1 where workspace_id = ${b} returning 1`));
    expect(moved).toHaveLength(0);
    await expect(withTenant(stack.services.db, a, (tx) => recordAudit(tx, { workspaceId: b, actorType: "user", action: "test.cross" }))).rejects.toThrow();
    expect(await verifyChain(owner.db, b)).toMatchObject({ ok: true });
  });
});

describe("audit verify as the application role", () => {
  it("refuses, rather than reporting an empty chain intact", async () => {
    const w = await chained(1);
    await expect(verifyChain(stack.services.db, w)).rejects.toThrow(/owner role/);
  });
});

describe("audit redaction", () => {
  it("removes secrets from the details whoever records them, keeping what is not secret", async () => {
    const { workspaceId } = await stack.tenant("Redact");
    const apiKey = `sk_${"A".repeat(43)}`;
    await withTenant(stack.services.db, workspaceId, (tx) => recordAudit(tx, {
      workspaceId, actorType: "user", action: "test.redact",
      details: {
        token: "t0ps3cret", meta_token: "EAAB1234567890abcdefghijkl", totpSecret: "JBSWY3DPEHPK3PXP", recovery_codes: ["a1b2", "c3d4"],
        token_ciphertext: "c2VhbGVk", password: "hunter2", otp: "123456",
        changes: { before: { name: "A", api_key: apiKey }, after: { name: "B", note: `pasted ${apiKey} here` } },
        previous_secret_expires_at: "2026-12-01T00:00:00.000Z", key_prefix: "sk_AAAAAAA", name: "kept",
      },
    }));
    const [row] = await stack.owner<{ details: Record<string, unknown> }[]>`select details from audit_log where workspace_id = ${workspaceId} and action = 'test.redact'`;
    const text = JSON.stringify(row!.details);
    for (const secret of ["t0ps3cret", "EAAB1234567890", "JBSWY3DPEHPK3PXP", "a1b2", "c2VhbGVk", "hunter2", "123456", apiKey]) expect(text).not.toContain(secret);
    expect(row!.details).toMatchObject({
      token: "[redacted]", totpSecret: "[redacted]", recovery_codes: "[redacted]",
      changes: { before: { name: "A", api_key: "[redacted]" }, after: { name: "B", note: "pasted [redacted] here" } },
      previous_secret_expires_at: "2026-12-01T00:00:00.000Z", key_prefix: "sk_AAAAAAA", name: "kept",
    });
  });
});
