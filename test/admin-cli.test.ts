import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { reason } from "../dev/admin/failure.js";
import { runTs, type Ran } from "./support/spawn.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";

let stack: TestStack;
let env: Record<string, string>;
beforeAll(async () => {
  stack = await createTestStack();
  env = {
    ...TEST_SECRETS,
    SANDESH_ENV: "test",
    DATABASE_URL: stack.config.databaseUrl,
    DATABASE_MIGRATION_URL: stack.config.migrationDatabaseUrl,
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_PREFIX: stack.config.redis.prefix,
  };
});
afterAll(() => stack.close());

const admin = (args: string[], stdin?: string) => runTs("dev/admin/cli.ts", args, env, stdin);
const json = (r: Ran) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe("npm run admin", () => {
  it("walks a new operator through workspace, key, call, revoke, 401", async () => {
    expect(json(await admin(["migrate", "--json"]))).toEqual({ applied: [], skipped: expect.any(Number) });
    const ws = json(await admin(["workspace", "create", "--name", "Kirana Stores", "--json"]));
    expect(ws).toMatchObject({ id: expect.any(String), name: "Kirana Stores", require_mfa: true }); // a second factor of every member, by default
    const [row] = await stack.owner<{ require_mfa: boolean }[]>`select require_mfa from workspaces where id = ${ws.id}`;
    expect(row!.require_mfa).toBe(true);
    const key = json(await admin(["apikey", "create", "--workspace", ws.id, "--name", "backend", "--json"]));
    expect(key).toMatchObject({ id: expect.any(String), key: expect.stringMatching(/^sk_/), name: "backend" });

    const ok = await stack.request("/v1/workspace", { headers: { authorization: `Bearer ${key.key}` } });
    expect(await ok.json()).toMatchObject({ id: ws.id, name: "Kirana Stores" });

    expect(json(await admin(["apikey", "revoke", "--id", key.id, "--json"]))).toEqual({ id: key.id, revoked: true });
    expect((await stack.request("/v1/workspace", { headers: { authorization: `Bearer ${key.key}` } })).status).toBe(401);
  });

  it("makes a key with --scopes that can do only that (403 forbidden naming the scope otherwise), and lists keys with their scopes", async () => {
    const ws = json(await admin(["workspace", "create", "--name", "Scoped", "--json"]));
    const key = json(await admin(["apikey", "create", "--workspace", ws.id, "--name", "reader", "--scopes", "messages:read,contacts:read", "--json"]));
    expect(key.scopes).toEqual(["contacts:read", "messages:read"]);
    const auth = { headers: { authorization: `Bearer ${key.key}` } };
    expect((await stack.request("/v1/messages", auth)).status).toBe(200);
    const refused = await stack.request("/v1/messages", { ...auth, method: "POST", body: "{}" });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toMatchObject({ code: "forbidden", message: expect.stringContaining("messages:send"), details: { missing: ["messages:send"] } });
    const full = json(await admin(["apikey", "create", "--workspace", ws.id, "--json"]));
    expect(full.scopes).toBeNull();
    const listed = json(await admin(["apikey", "list", "--workspace", ws.id, "--json"]));
    expect(listed.map((k: { id: string; scopes: unknown }) => [k.id, k.scopes])).toEqual([[full.id, null], [key.id, ["contacts:read", "messages:read"]]]);
    expect(JSON.stringify(listed)).not.toContain(key.key);
    const text = await admin(["apikey", "list", "--workspace", ws.id]);
    expect(text.stdout).toContain("scopes: contacts:read,messages:read");
    expect(text.stdout).toContain("full access");
    const bad = await admin(["apikey", "create", "--workspace", ws.id, "--scopes", "messages:fly"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Unknown scope messages:fly/);
  });

  it("prints the key once in text mode with a warning to store it", async () => {
    const ws = json(await admin(["workspace", "create", "--name", "T", "--json"]));
    const r = await admin(["apikey", "create", "--workspace", ws.id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sk_[0-9A-Za-z]{43}/);
    expect(r.stdout).toMatch(/only time the key is shown/);
  });

  it("connects a number with the token from stdin; the token never reaches output", async () => {
    const ws = json(await admin(["workspace", "create", "--name", "W", "--json"]));
    const TOKEN = "EAAStdinToken0123456789abcdefghijklmnop";
    const r = await admin(["whatsapp", "connect", "--workspace", ws.id, "--phone-number-id", "4455667788", "--waba-id", "99", "--token-stdin", "--display-number", "+91 98765 43210", "--json"], TOKEN);
    const n = json(r);
    expect(n).toMatchObject({ phone_number_id: "4455667788", waba_id: "99", display_number: "+91 98765 43210", token_status: "active" });
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    const [row] = await stack.owner`select token_ciphertext from whatsapp_numbers where phone_number_id = '4455667788'`;
    expect(Buffer.from(row!.token_ciphertext).toString("utf8")).not.toContain("EAAStdin");
    expect(json(await admin(["vault", "rotate", "--json"]))).toEqual({ rotated: 0, key_version: 1 });
  });

  it.each([
    [["frobnicate"], /unknown command: frobnicate/],
    [["workspace", "create"], /--name is required/],
    [["apikey", "create", "--workspace", "not-a-uuid"], /--workspace must be a workspace id/],
    [["apikey", "revoke", "--nope"], /Unknown option '--nope'/],
    [["whatsapp", "connect", "--workspace", "7c3e8f2a-0000-4000-8000-000000000001", "--phone-number-id", "abc", "--waba-id", "1", "--token", "x"], /--phone-number-id must be/],
    [["workspace", "create", "--name", "   "], /--name must not be blank/],
    [["apikey", "create", "--workspace", "7c3e8f2a-0000-4000-8000-000000000001", "--name", " "], /--name must not be blank/],
    [["whatsapp", "connect", "--workspace", "7c3e8f2a-0000-4000-8000-000000000001", "--phone-number-id", "1", "--waba-id", "1", "--token", "EAAToken0123456789abcdef", "--token-stdin"], /--token or --token-stdin, not both/],
    [["whatsapp", "connect", "--workspace", "7c3e8f2a-0000-4000-8000-000000000001", "--phone-number-id", "1", "--waba-id", "1", "--token", "EAAshort"], /token looks too short/],
    [["whatsapp", "connect", "--phone-number-id", "1"], /missing --workspace, --waba-id, --token or --token-stdin/],
  ])("bad usage %j prints usage and exits 2", async (args, message) => {
    const r = await admin(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/Usage: npm run admin/);
  });

  it("help prints the usage and exits 0", async () => {
    for (const args of [["help"], ["--help"]]) {
      const r = await admin(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: npm run admin/);
    }
  });

  it("an unknown workspace is named as not found; no SQL, hash, prefix, token or ciphertext is printed", async () => {
    const missing = "7c3e8f2a-0000-4000-8000-00000000000a";
    const TOKEN = "EAAUnknownWorkspaceToken0123456789";
    for (const [args, stdin] of [
      [["apikey", "create", "--workspace", missing], undefined],
      [["whatsapp", "connect", "--workspace", missing, "--phone-number-id", "5566778899", "--waba-id", "1", "--token-stdin"], TOKEN],
    ] as const) {
      const r = await admin([...args], stdin);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`workspace ${missing} not found`);
      expect(r.stdout + r.stderr).not.toMatch(/Failed query|params|insert into|[0-9a-f]{64}|sk_|EAA/);
    }
    expect((await stack.owner`select count(*)::int as n from api_keys where workspace_id = ${missing}`)[0]!.n).toBe(0);
  });

  it("a failed query is reported by the database's reason, never its SQL or parameters", async () => {
    const hash = "ab".repeat(32);
    const err = await stack.services.db.execute(sql`insert into api_keys (workspace_id, name, prefix, key_hash) values (${crypto.randomUUID()}, 'k', 'sk_Prefix1', ${hash})`).catch((e: unknown) => e);
    expect(String((err as Error).message)).toContain(hash); // what the CLI used to print
    const said = reason(err);
    expect(said).toMatch(/^database error: .*(foreign key|row-level security|permission)/);
    expect(said).not.toContain(hash);
    expect(said).not.toContain("sk_Prefix1");
    expect(said).not.toMatch(/insert into|params/);
  });

  it("revoking a revoked key says it was already revoked (exit 0, nothing recorded twice)", async () => {
    const ws = json(await admin(["workspace", "create", "--name", "Again", "--json"]));
    const key = json(await admin(["apikey", "create", "--workspace", ws.id, "--json"]));
    expect((await admin(["apikey", "revoke", "--id", key.id])).stdout).toMatch(new RegExp(`api key ${key.id} revoked`));
    const again = await admin(["apikey", "revoke", "--id", key.id]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already revoked/);
    expect(json(await admin(["apikey", "revoke", "--id", key.id, "--json"]))).toEqual({ id: key.id, revoked: true, already_revoked: true });
    expect((await stack.owner`select count(*)::int as n from audit_log where object_id = ${key.id} and action = 'api_key.revoked'`)[0]!.n).toBe(1);
  });

  it("reconnecting a number says its token was replaced; a name is trimmed", async () => {
    const ws = json(await admin(["workspace", "create", "--name", "  Trimmed  ", "--json"]));
    expect(ws.name).toBe("Trimmed");
    const connect = (token: string, extra: string[] = []) => admin(["whatsapp", "connect", "--workspace", ws.id, "--phone-number-id", "6677889900", "--waba-id", "7", "--token-stdin", ...extra], token);
    const first = await connect("EAAFirstToken0123456789abcdefgh");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/connected to workspace/);
    expect(first.stdout).not.toMatch(/replaced/);
    const second = await connect("EAASecondToken0123456789abcdefg");
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/already connected .* its token was replaced/);
    expect(json(await connect("EAAThirdToken0123456789abcdefgh", ["--json"]))).toMatchObject({ phone_number_id: "6677889900", token_replaced: true });
  });

  it("failures exit 1 in the JSON shape with --json", async () => {
    const r = await admin(["apikey", "revoke", "--id", "7c3e8f2a-0000-4000-8000-000000000009", "--json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: "not_found", message: expect.stringMatching(/not found/) } });
  });
});
