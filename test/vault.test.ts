import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../lib/errors.js";
import { rotateVault } from "../lib/vault/rotate.js";
import { Vault, type FieldRef, type Sealed } from "../lib/vault/vault.js";
import { connectNumber, openToken } from "../lib/whatsapp/numbers.js";
import { whatsappNumbers } from "../db/schema/index.js";
import { withTenant } from "../db/tenant.js";
import { createNodeServices } from "../dev/services.js";
import { PG } from "./support/servers.js";
import { createTestStack, testConfig, TEST_SECRETS, type TestStack } from "./support/stack.js";

const run = promisify(execFile);
const KEK = TEST_SECRETS.MASTER_KEK;
const field: FieldRef = { table: "whatsapp_numbers", column: "token", rowId: "7c3e8f2a-0000-4000-8000-000000000001", workspaceId: "7c3e8f2a-0000-4000-8000-0000000000aa" };
const flip = (b: Uint8Array, i = 0) => {
  const c = new Uint8Array(b);
  c[i] = c[i]! ^ 0x01;
  return c;
};

describe("vault: AES-256-GCM fields", () => {
  const vault = new Vault({ currentVersion: 1, keks: { 1: KEK } });

  it("round-trips and stores ciphertext, a 12-byte IV, a 16-byte tag and the key version", async () => {
    const s = await vault.seal("EAAG-secret-token-ünïcode", field);
    expect(s.iv).toHaveLength(12);
    expect(s.tag).toHaveLength(16);
    expect(s.keyVersion).toBe(1);
    expect(Buffer.from(s.ciphertext).toString("utf8")).not.toContain("secret");
    expect(await vault.open(s, field)).toBe("EAAG-secret-token-ünïcode");
  });

  it("uses a fresh IV every time", async () => {
    const a = await vault.seal("same", field);
    const b = await vault.seal("same", field);
    expect(Buffer.from(a.iv).equals(Buffer.from(b.iv))).toBe(false);
  });

  it.each([
    ["ciphertext", (s: Sealed): Sealed => ({ ...s, ciphertext: flip(s.ciphertext) })],
    ["IV", (s: Sealed): Sealed => ({ ...s, iv: flip(s.iv) })],
    ["tag", (s: Sealed): Sealed => ({ ...s, tag: flip(s.tag, 15) })],
  ])("a flipped bit in the %s is refused", async (_, tamper) => {
    const s = await vault.seal("token", field);
    await expect(vault.open(tamper(s), field)).rejects.toMatchObject({ code: "vault_decrypt_failed" });
  });

  it.each([
    ["another row", { ...field, rowId: "7c3e8f2a-0000-4000-8000-000000000002" }],
    ["another workspace", { ...field, workspaceId: "7c3e8f2a-0000-4000-8000-0000000000bb" }],
    ["another column", { ...field, column: "webhook_secret" }],
  ])("a value copied to %s is refused", async (_, other) => {
    const s = await vault.seal("token", field);
    await expect(vault.open(s, other)).rejects.toMatchObject({ code: "vault_decrypt_failed" });
  });

  it("a wrong MASTER_KEK is refused with a clear error that reveals nothing", async () => {
    const s = await vault.seal("token-value", field);
    const wrong = new Vault({ currentVersion: 1, keks: { 1: "another-master-kek-0123456789abcdefghij" } });
    const err = await wrong.open(s, field).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toMatch(/Cannot decrypt whatsapp_numbers\.token: wrong MASTER_KEK for key version 1/);
    expect((err as AppError).message).not.toContain("token-value");
  });

  it("a key version that is not configured says which variable to set", async () => {
    const s = await vault.seal("t", field);
    const v2only = new Vault({ currentVersion: 2, keks: { 2: KEK } });
    await expect(v2only.open(s, field)).rejects.toThrow(/MASTER_KEK_V1/);
  });
});

describe("vault: tokens at rest and rotation", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await createTestStack();
  });
  afterAll(() => stack.close());

  const TOKEN = "EAAJtestMetaAccessToken0123456789abcdefXYZ";

  it("a connected number's token is sealed: never in the row as text, never in pg_dump", async () => {
    const t = await stack.tenant();
    const n = await connectNumber(stack.services, { workspaceId: t.workspaceId, phoneNumberId: "100200300", wabaId: "900", token: TOKEN }, { actorType: "operator" });
    expect(JSON.stringify(n)).not.toContain(TOKEN);
    const { stdout } = await run("pg_dump", ["-h", PG.host, "-p", String(PG.port), "-U", PG.user, "--data-only", stack.database], { maxBuffer: 64 * 1024 * 1024 });
    expect(stdout).toContain("100200300"); // the dump has the row…
    expect(stdout).not.toContain(TOKEN); // …but not the token
    expect(stdout).not.toContain(Buffer.from(TOKEN).toString("hex"));
    const [row] = await withTenant(stack.services.db, t.workspaceId, (tx) => tx.select().from(whatsappNumbers));
    expect(await openToken(stack.services, row!)).toBe(TOKEN);
  });

  it("rotation re-seals every field to the new version and keeps them readable, old ones readable meanwhile", async () => {
    const t1 = await stack.tenant();
    const t2 = await stack.tenant();
    await connectNumber(stack.services, { workspaceId: t1.workspaceId, phoneNumberId: "111", wabaId: "1", token: `${TOKEN}-one` }, { actorType: "operator" });
    await connectNumber(stack.services, { workspaceId: t2.workspaceId, phoneNumberId: "222", wabaId: "2", token: `${TOKEN}-two` }, { actorType: "operator" });

    const NEW_KEK = "rotated-master-kek-abcdefghijklmnopqrstuvwxyz012345";
    const v2 = testConfig({ ...envOf(stack), MASTER_KEK: NEW_KEK, VAULT_KEY_VERSION: "2", MASTER_KEK_V1: KEK });
    const next = createNodeServices(v2, { databaseUrl: stack.config.migrationDatabaseUrl });
    try {
      // Before rotation the new process reads version-1 values (no downtime).
      const before = await withTenant(next.db, t1.workspaceId, (tx) => tx.select().from(whatsappNumbers));
      expect(await openToken(next, before[0]!)).toBe(`${TOKEN}-one`);

      const all = (await stack.owner<{ id: string }[]>`select id from workspaces`).map((r) => r.id);
      const { rotated } = await rotateVault(next, all);
      expect(rotated).toBeGreaterThanOrEqual(2);
      const versions = await stack.owner`select distinct token_key_version as v from whatsapp_numbers`;
      expect(versions.map((r) => r.v)).toEqual([2]);
      for (const [ws, tok] of [[t1.workspaceId, `${TOKEN}-one`], [t2.workspaceId, `${TOKEN}-two`]] as const) {
        const [row] = await withTenant(next.db, ws, (tx) => tx.select().from(whatsappNumbers));
        expect(await openToken(next, row!)).toBe(tok);
      }
      // The old key alone can no longer open them: rotation really moved them.
      const [row] = await withTenant(stack.services.db, t1.workspaceId, (tx) => tx.select().from(whatsappNumbers));
      await expect(openToken(stack.services, row!)).rejects.toThrow(/MASTER_KEK_V2|wrong MASTER_KEK/);
      expect((await rotateVault(next, all)).rotated).toBe(0); // idempotent
    } finally {
      await next.close();
    }
  });
});

function envOf(stack: TestStack): Record<string, string> {
  return {
    DATABASE_URL: stack.config.databaseUrl,
    DATABASE_MIGRATION_URL: stack.config.migrationDatabaseUrl,
    REDIS_URL: stack.config.redis.kind === "tcp" ? stack.config.redis.url : "",
    REDIS_PREFIX: stack.config.redis.prefix,
  };
}
