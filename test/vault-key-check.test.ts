import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase } from "../db/client.js";
import { createNodeServices } from "../dev/services.js";
import { recordVaultKeys, vaultKeyProblems } from "../lib/vault/key-check.js";
import { Vault } from "../lib/vault/vault.js";
import { connectTestNumber } from "./support/senders.js";
import { freePort, runTs } from "./support/spawn.js";
import { createTestStack, TEST_SECRETS, testConfig, type TestStack } from "./support/stack.js";

// A wrong MASTER_KEK is caught at once: at start, in /healthz, and in the CLI commands
// that seal or open, each in one line naming the key version.
const WRONG = "a-wrong-master-kek-that-is-long-enough-0123456789";
let stack: TestStack;
let owner: ReturnType<typeof createDatabase>;
let env: Record<string, string>;

beforeAll(async () => {
  stack = await createTestStack();
  owner = createDatabase(stack.config.migrationDatabaseUrl, { max: 1 });
  // The first use of the key version records its check.
  expect(await recordVaultKeys(owner.db, stack.services.vault)).toEqual([]);
  env = {
    ...TEST_SECRETS,
    SANDESH_ENV: "test",
    LOG_LEVEL: "warn",
    DATABASE_URL: stack.config.databaseUrl,
    DATABASE_MIGRATION_URL: stack.config.migrationDatabaseUrl,
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_PREFIX: stack.config.redis.prefix,
  };
});
afterAll(async () => {
  await owner?.close();
  await stack?.close();
});

const vaultWith = (vars: Record<string, string>) => new Vault(testConfig({ DATABASE_URL: stack.config.databaseUrl, REDIS_URL: "redis://127.0.0.1:6379", ...vars }).vault);

describe("the vault's key check", () => {
  it("stores an HMAC per key version, never the key, and the right key matches it", async () => {
    const rows = await stack.owner`select key_version, key_check from vault_key_checks`;
    expect(rows).toEqual([{ key_version: 1, key_check: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(rows[0]!.key_check).not.toContain(TEST_SECRETS.MASTER_KEK);
    expect(await vaultKeyProblems(stack.services.db, stack.services.vault)).toEqual([]);
  });

  it("a wrong MASTER_KEK is named with its version; a wrong earlier MASTER_KEK_V1 as that variable", async () => {
    expect(await vaultKeyProblems(stack.services.db, vaultWith({ MASTER_KEK: WRONG }))).toEqual([expect.stringMatching(/^MASTER_KEK does not match vault key version 1: /)]);
    // Version 2 is new (recorded on first use); version 1 is the old key, given wrong.
    const rotated = vaultWith({ VAULT_KEY_VERSION: "2", MASTER_KEK: `${WRONG}-v2`, MASTER_KEK_V1: WRONG });
    expect(await vaultKeyProblems(stack.services.db, rotated)).toEqual([expect.stringMatching(/^MASTER_KEK_V1 does not match vault key version 1: /)]);
  });

  it("a version used for the first time is not recorded under a key that cannot open what that version sealed", async () => {
    const t = await stack.tenant();
    await connectTestNumber(stack, t.workspaceId); // sealed at version 1 with the right key
    await stack.owner`delete from vault_key_checks`;
    try {
      const problems = await recordVaultKeys(owner.db, vaultWith({ MASTER_KEK: WRONG }));
      expect(problems).toEqual([expect.stringMatching(/^MASTER_KEK does not match vault key version 1/)]);
      expect(await stack.owner`select 1 from vault_key_checks`).toHaveLength(0);
    } finally {
      expect(await recordVaultKeys(owner.db, stack.services.vault)).toEqual([]);
    }
  });

  it("/healthz answers 503 naming the vault when MASTER_KEK is wrong, 200 when it is right", async () => {
    const ok = await stack.request("/healthz");
    expect(ok.status).toBe(200);
    expect((await ok.json()).checks).toMatchObject({ database: "ok", redis: "ok", vault: "ok" });
    const wrong = createNodeServices({ ...stack.config, vault: testConfig({ DATABASE_URL: stack.config.databaseUrl, REDIS_URL: "redis://127.0.0.1:6379", MASTER_KEK: WRONG }).vault }, { dbMax: 1 });
    try {
      const res = await stack.app.fetch(new Request("http://sandesh.test/healthz"), { services: wrong, ip: "203.0.113.7" });
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body.checks.vault).toBe("mismatch");
      expect(body.problems).toEqual([expect.stringMatching(/key version 1/)]);
      expect(JSON.stringify(body)).not.toContain(WRONG);
    } finally {
      await wrong.close();
    }
  });

  it("npm start refuses to serve in one line naming the version", async () => {
    const r = await runTs("dev/server.ts", [], { ...env, MASTER_KEK: WRONG, PORT: String(await freePort()) });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toEqual([expect.stringMatching(/^Sandesh refuses to serve: MASTER_KEK does not match vault key version 1: /)]);
    expect(r.stderr + r.stdout).not.toContain(WRONG);
  });

  it("the CLI refuses to seal or re-seal under a wrong key: whatsapp connect and vault rotate, in one line", async () => {
    const t = await stack.tenant();
    const connect = await runTs("dev/admin/cli.ts", ["whatsapp", "connect", "--workspace", t.workspaceId, "--phone-number-id", "5550001112", "--waba-id", "1", "--token-stdin"], { ...env, MASTER_KEK: WRONG }, "EAAGthisIsAMetaTokenThatIsLongEnough0123456789");
    expect(connect.code).toBe(1);
    expect(connect.stderr.trim()).toMatch(/^MASTER_KEK does not match vault key version 1: [^\n]*$/);
    expect(await stack.owner`select 1 from whatsapp_numbers where phone_number_id = '5550001112'`).toHaveLength(0);
    const rotate = await runTs("dev/admin/cli.ts", ["vault", "rotate", "--json"], { ...env, MASTER_KEK: WRONG });
    expect(rotate.code).toBe(1);
    expect(JSON.parse(rotate.stdout)).toEqual({ error: { code: "vault_key_mismatch", message: expect.stringMatching(/^MASTER_KEK does not match vault key version 1/) } });
    // With the right key the same command works.
    const good = await runTs("dev/admin/cli.ts", ["vault", "rotate", "--json"], env);
    expect(good.code, good.stderr).toBe(0);
  });
});
