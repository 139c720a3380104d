import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../lib/config.js";
import { resolveLocalEnv } from "../dev/local/env.js";
import { fillDevSecrets } from "../dev/local/secrets.js";

const VALID = {
  DATABASE_URL: "postgres://u@h:5432/d",
  REDIS_URL: "redis://127.0.0.1:6379",
  MASTER_KEK: "k".repeat(40),
  META_APP_SECRET: "s".repeat(20),
  META_VERIFY_TOKEN: "v".repeat(20),
};

describe("configuration", () => {
  it("accepts a complete environment and applies the documented defaults", () => {
    const r = parseConfig(VALID);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({
      env: "development",
      port: 8787,
      migrationDatabaseUrl: VALID.DATABASE_URL,
      meta: { graphUrl: "https://graph.facebook.com", apiVersion: "v21.0" },
      redis: { kind: "tcp", prefix: "sandesh:" },
      vault: { currentVersion: 1 },
    });
  });

  it("reports every problem, one line each, naming the variable with an example", () => {
    const r = parseConfig({ PORT: "eighty", MASTER_KEK: "short", REDIS_URL: "http://nope", SANDESH_ENV: "prod" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byName = (n: string) => r.problems.find((p) => p.startsWith(`${n}:`));
    expect(byName("DATABASE_URL")).toMatch(/^DATABASE_URL: is required \(example: DATABASE_URL=postgres:\/\//);
    expect(byName("PORT")).toMatch(/must be a whole number/);
    expect(byName("MASTER_KEK")).toMatch(/at least 32 characters/);
    expect(byName("REDIS_URL")).toMatch(/redis:\/\//);
    expect(byName("SANDESH_ENV")).toMatch(/production, development or test/);
    expect(byName("META_APP_SECRET")).toMatch(/is required/);
    // Problems never echo a value back (a half-pasted secret must not reach a terminal log).
    expect(r.problems.join("\n")).not.toContain("short");
  });

  it("needs either REDIS_URL or both Upstash variables", () => {
    const { REDIS_URL: _, ...noRedis } = VALID;
    const r = parseConfig({ ...noRedis, UPSTASH_REDIS_REST_URL: "https://x.upstash.io" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join("\n")).toMatch(/UPSTASH_REDIS_REST_TOKEN: is required with UPSTASH_REDIS_REST_URL/);
    const ok = parseConfig({ ...noRedis, UPSTASH_REDIS_REST_URL: "https://x.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" });
    expect(ok.ok && ok.config.redis.kind).toBe("upstash");
  });

  it("production requires PUBLIC_URL and gets no generated secrets", async () => {
    const r = parseConfig({ ...VALID, SANDESH_ENV: "production" });
    expect(!r.ok && r.problems[0]).toMatch(/^PUBLIC_URL: is required in production/);
    const dir = await mkdtemp(join(tmpdir(), "sandesh-"));
    const local = await resolveLocalEnv({ SANDESH_ENV: "production" }, dir);
    expect(local.env.MASTER_KEK).toBeUndefined();
    const p = parseConfig(local.env);
    expect(!p.ok && p.problems.join("\n")).toMatch(/MASTER_KEK: is required/);
  });

  it("development generates missing secrets once and keeps them private under the data dir", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sandesh-"));
    const first: Record<string, string | undefined> = { META_VERIFY_TOKEN: "given-verify-token-123456" };
    expect(await fillDevSecrets(first, dir)).toEqual(["MASTER_KEK", "META_APP_SECRET"]);
    const second: Record<string, string | undefined> = {};
    await fillDevSecrets(second, dir);
    expect(second.MASTER_KEK).toBe(first.MASTER_KEK);
    expect(first.META_VERIFY_TOKEN).toBe("given-verify-token-123456");
    expect((await stat(join(dir, "dev-secrets.json"))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(dir, "dev-secrets.json"), "utf8")).MASTER_KEK).toHaveLength(43);
  });

  it("Google sign-in: client id and secret together, the issuer Google's unless set, https in production", () => {
    const none = parseConfig(VALID);
    expect(none.ok && none.config.google).toBeUndefined();
    const google = parseConfig({ ...VALID, GOOGLE_CLIENT_ID: "123-abc.apps.googleusercontent.com", GOOGLE_CLIENT_SECRET: "GOCSPX-0123456789abcdef" });
    expect(google.ok && google.config.google).toEqual({ clientId: "123-abc.apps.googleusercontent.com", clientSecret: "GOCSPX-0123456789abcdef", issuer: "https://accounts.google.com" });
    const half = parseConfig({ ...VALID, GOOGLE_CLIENT_ID: "123-abc.apps.googleusercontent.com" });
    expect(!half.ok && half.problems).toEqual([expect.stringMatching(/^GOOGLE_CLIENT_SECRET: is required with GOOGLE_CLIENT_ID/)]);
    const slash = parseConfig({ ...VALID, OIDC_ISSUER: "https://accounts.google.com/" });
    expect(!slash.ok && slash.problems).toEqual([expect.stringMatching(/^OIDC_ISSUER: must not end with \//)]);
    const plain = parseConfig({ ...VALID, SANDESH_ENV: "production", PUBLIC_URL: "https://s.example.com", TRUST_PROXY: "none", GOOGLE_CLIENT_ID: "x", GOOGLE_CLIENT_SECRET: "GOCSPX-0123456789abcdef", OIDC_ISSUER: "http://127.0.0.1:8791" });
    expect(!plain.ok && plain.problems.some((p) => p.startsWith("OIDC_ISSUER: must be https in production"))).toBe(true);
    expect(JSON.stringify(plain)).not.toContain("GOCSPX-0123456789abcdef");
  });

  it("earlier vault keys come from MASTER_KEK_V<n>", () => {
    const r = parseConfig({ ...VALID, VAULT_KEY_VERSION: "3", MASTER_KEK_V2: "o".repeat(40), MASTER_KEK_V1: "tiny" });
    expect(!r.ok && r.problems).toEqual([expect.stringMatching(/^MASTER_KEK_V1: must be at least 32/)]);
    const ok = parseConfig({ ...VALID, VAULT_KEY_VERSION: "3", MASTER_KEK_V2: "o".repeat(40) });
    expect(ok.ok && ok.config.vault).toEqual({ currentVersion: 3, keks: { 3: VALID.MASTER_KEK, 2: "o".repeat(40) } });
  });
});

describe("production secrets", () => {
  const PROD = {
    ...VALID,
    SANDESH_ENV: "production",
    PUBLIC_URL: "https://sandesh.example.com",
    TRUST_PROXY: "1",
    MASTER_KEK: randomBytes(32).toString("base64"),
    META_APP_SECRET: randomBytes(16).toString("hex"),
    META_VERIFY_TOKEN: randomBytes(18).toString("base64url"),
  };
  const problemsOf = (env: Record<string, string>) => {
    const r = parseConfig(env);
    return r.ok ? [] : r.problems;
  };

  it("accepts random values from the documented generators", () => {
    expect(problemsOf(PROD)).toEqual([]);
    const q = { QSTASH_TOKEN: "eyJVc2VySUQiOiI" + randomBytes(24).toString("base64url"), QSTASH_CURRENT_SIGNING_KEY: `sig_${randomBytes(20).toString("base64url")}`, QSTASH_NEXT_SIGNING_KEY: `sig_${randomBytes(20).toString("base64url")}` };
    expect(problemsOf({ ...PROD, ...q, VAULT_KEY_VERSION: "2", MASTER_KEK_V1: randomBytes(32).toString("base64url") })).toEqual([]);
  });

  it.each([
    ["32 × a", "a".repeat(32)],
    ["a hex sequence", "0123456789abcdef0123456789abcdef"],
    ["the alphabet", "abcdefghijklmnopqrstuvwxyzABCDEFGH"],
    ["two characters alternating", "ab".repeat(20)],
    ["a word repeated", "password1234".repeat(3)],
  ])("refuses a MASTER_KEK that is %s, says how to generate one, and never echoes it", (_what, kek) => {
    const problems = problemsOf({ ...PROD, MASTER_KEK: kek });
    expect(problems).toEqual([expect.stringMatching(/^MASTER_KEK: is too predictable for production.*openssl rand -base64 32.*randomBytes\(32\)/)]);
    expect(problems.join("\n")).not.toContain(kek);
  });

  it("refuses predictable Meta secrets, QStash signing keys and earlier KEKs too", () => {
    const problems = problemsOf({
      ...PROD,
      META_APP_SECRET: "s".repeat(32),
      META_VERIFY_TOKEN: "0123456789012345",
      QSTASH_TOKEN: "t",
      QSTASH_CURRENT_SIGNING_KEY: "sig_aaaaaaaaaaaa",
      QSTASH_NEXT_SIGNING_KEY: `sig_${randomBytes(20).toString("base64url")}`,
      VAULT_KEY_VERSION: "2",
      MASTER_KEK_V1: "k".repeat(40),
    });
    const names = problems.map((p) => p.split(":")[0]);
    expect(names.sort()).toEqual(["MASTER_KEK_V1", "META_APP_SECRET", "META_VERIFY_TOKEN", "QSTASH_CURRENT_SIGNING_KEY"]);
  });

  it("refuses a secret used twice, naming both variables and neither value", () => {
    const shared = randomBytes(32).toString("base64");
    const problems = problemsOf({ ...PROD, META_APP_SECRET: shared, META_VERIFY_TOKEN: shared });
    expect(problems).toEqual([expect.stringMatching(/^META_VERIFY_TOKEN: must differ from META_APP_SECRET/)]);
    expect(problems.join("\n")).not.toContain(shared);
    expect(problemsOf({ ...PROD, META_APP_SECRET: PROD.MASTER_KEK })).toEqual([expect.stringMatching(/^META_APP_SECRET: must differ from MASTER_KEK/)]);
    expect(problemsOf({ ...PROD, VAULT_KEY_VERSION: "2", MASTER_KEK_V1: PROD.MASTER_KEK })).toEqual([expect.stringMatching(/^MASTER_KEK_V1: must differ from MASTER_KEK/)]);
  });

  it("refuses a plain-http PUBLIC_URL", () => {
    expect(problemsOf({ ...PROD, PUBLIC_URL: "http://sandesh.example.com" })).toEqual([expect.stringMatching(/^PUBLIC_URL: must be https in production/)]);
  });

  it("outside production the same values are accepted (development generates its own)", () => {
    expect(problemsOf({ ...PROD, SANDESH_ENV: "development", MASTER_KEK: "a".repeat(32), META_VERIFY_TOKEN: PROD.META_APP_SECRET, PUBLIC_URL: "http://localhost:8787" })).toEqual([]);
  });
});
