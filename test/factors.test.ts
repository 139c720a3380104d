import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../lib/clock.js";
import type { FactorActor } from "../lib/factors/actor.js";
import { FACTOR_ATTEMPTS } from "../lib/factors/attempts.js";
import { disableTotp } from "../lib/factors/disable.js";
import { confirmTotp, PENDING_ENROLMENT_MS, startTotpEnrolment } from "../lib/factors/enrol.js";
import { regenerateRecoveryCodes } from "../lib/factors/regenerate.js";
import { secondFactorNeed, setRequireMfa } from "../lib/factors/require-mfa.js";
import { factorStatus } from "../lib/factors/status.js";
import { totpCodeAt } from "../lib/factors/totp.js";
import { verifySecondFactor } from "../lib/factors/verify.js";
import { createWorkspace } from "../lib/workspaces/workspaces.js";
import { rotatePersonFields } from "../lib/vault/rotate.js";
import { recordVaultKeys } from "../lib/vault/key-check.js";
import { createNodeServices } from "../dev/services.js";
import { createTestStack, testConfig, TEST_SECRETS, type TestStack } from "./support/stack.js";

// Time is the test's: a step boundary plus 10 s, moved by whole steps, never slept on.
let now = new Date(1_800_000_000_000 + 10_000);
const clock: Clock = { now: () => now };
const STEP = 30_000;
const codeAt = (secret: string, steps: number) => totpCodeAt(secret, new Date(now.getTime() + steps * STEP));

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { clock });
});
afterAll(() => stack.close());

const rand = () => Math.random().toString(36).slice(2, 10);

async function person(opts: { workspace?: boolean; role?: string } = {}): Promise<FactorActor> {
  const email = `p-${rand()}@example.com`;
  const [u] = await stack.owner<{ id: string }[]>`insert into users (email) values (${email}) returning id`;
  let workspaceId: string | null = null;
  if (opts.workspace) {
    workspaceId = (await createWorkspace(stack.services, `F ${rand()}`)).id;
    await stack.owner`insert into memberships (workspace_id, user_id, role) values (${workspaceId}, ${u!.id}, ${opts.role ?? "owner"})`;
  }
  return { userId: u!.id, email, workspaceId, ip: "203.0.113.9", userAgent: "vitest" };
}

/** A person with TOTP confirmed (at the step before now, so the current step is still free). */
async function enrolled(opts: { workspace?: boolean } = {}) {
  const who = await person(opts);
  const { secret } = await startTotpEnrolment(stack.services, who);
  const { recovery_codes } = await confirmTotp(stack.services, who, codeAt(secret, -1));
  return { who, secret, recoveryCodes: recovery_codes };
}

const s = () => stack.services;

describe("TOTP enrolment", () => {
  it("shows the secret once as an otpauth URI; the factor does not count until a first valid code confirms it", async () => {
    const who = await person({ workspace: true });
    const e = await startTotpEnrolment(s(), who);
    expect(e.otpauth_uri).toBe(`otpauth://totp/Sandesh:${encodeURIComponent(who.email)}?issuer=Sandesh&secret=${e.secret}&algorithm=SHA1&digits=6&period=30`);
    expect(await factorStatus(s(), who.userId)).toEqual({ totp: "pending", totp_enabled_at: null, recovery_codes_left: 0 });
    // Pending: a Google session is not asked for a code (the new workspace still wants one set up), and cannot use one.
    expect(await secondFactorNeed(s(), { ...who, role: "owner", userVerified: false, secondFactorAt: null })).toEqual({ next: "enrol", required_by_workspace: true });
    await expect(verifySecondFactor(s(), who, { code: codeAt(e.secret, 0) })).rejects.toMatchObject({ status: 409, code: "totp_not_enabled" });

    const right = codeAt(e.secret, 0);
    const wrong = String((Number(right) + 1) % 1e6).padStart(6, "0");
    await expect(confirmTotp(s(), who, wrong)).rejects.toMatchObject({ status: 400, code: "invalid_second_factor" });
    expect((await factorStatus(s(), who.userId)).totp).toBe("pending");

    const { recovery_codes } = await confirmTotp(s(), who, right);
    expect(recovery_codes).toHaveLength(10);
    expect(new Set(recovery_codes).size).toBe(10);
    expect(await factorStatus(s(), who.userId)).toMatchObject({ totp: "enabled", recovery_codes_left: 10 });
    await expect(startTotpEnrolment(s(), who)).rejects.toMatchObject({ status: 409, code: "totp_already_enabled" });

    // Only sealed bytes and hashes are stored: neither the secret nor a code is in any column.
    const [row] = await stack.owner`select * from user_totp where user_id = ${who.userId}`;
    expect(JSON.stringify(row)).not.toContain(e.secret);
    expect(Buffer.from(row!.secret_ciphertext).toString("latin1")).not.toContain(e.secret);
    const hashes = await stack.owner<{ code_hash: string }[]>`select code_hash from recovery_codes where user_id = ${who.userId}`;
    expect(hashes).toHaveLength(10);
    for (const c of recovery_codes) expect(hashes.map((h) => h.code_hash)).not.toContain(c);
    const actions = await stack.owner<{ action: string }[]>`select action from audit_log where workspace_id = ${who.workspaceId} and actor_id = ${who.userId} order by id`;
    expect(actions.map((a) => a.action)).toEqual(["totp.enrolment_started", "totp.failed", "totp.enabled"]);
  });

  it("a set-up left unconfirmed goes stale; starting again replaces its secret", async () => {
    const who = await person();
    const first = await startTotpEnrolment(s(), who);
    const second = await startTotpEnrolment(s(), who);
    expect(second.secret).not.toBe(first.secret);
    now = new Date(now.getTime() + PENDING_ENROLMENT_MS + STEP);
    await expect(confirmTotp(s(), who, codeAt(second.secret, 0))).rejects.toMatchObject({ status: 409, code: "totp_not_pending" });
  });
});

describe("TOTP codes", () => {
  it("one step either side is accepted, two are refused", async () => {
    const who = await person();
    const { secret } = await startTotpEnrolment(s(), who);
    const distinct = (d: number) => ![-1, 0, 1].some((n) => codeAt(secret, n) === codeAt(secret, d));
    for (const d of [-2, 2]) if (distinct(d)) await expect(confirmTotp(s(), who, codeAt(secret, d))).rejects.toMatchObject({ code: "invalid_second_factor" });
    await confirmTotp(s(), who, codeAt(secret, -1));
    expect(await verifySecondFactor(s(), who, { code: codeAt(secret, 1) })).toEqual({ method: "totp", recovery_codes_left: 10 });
  });

  it("a used time step cannot be replayed, nor an earlier one; the next step's code works", async () => {
    const { who, secret } = await enrolled();
    const code = codeAt(secret, 0);
    await verifySecondFactor(s(), who, { code });
    await expect(verifySecondFactor(s(), who, { code })).rejects.toMatchObject({ status: 400, code: "invalid_second_factor" });
    // Two requests racing with one fresh code: exactly one wins.
    now = new Date(now.getTime() + STEP);
    const fresh = codeAt(secret, 0);
    const raced = await Promise.allSettled([verifySecondFactor(s(), who, { code: fresh }), verifySecondFactor(s(), who, { code: fresh })]);
    expect(raced.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    // The previous step is still inside the ±1 window, but it is at or before the last used.
    now = new Date(now.getTime() + STEP);
    await expect(verifySecondFactor(s(), who, { code: codeAt(secret, -1) })).rejects.toMatchObject({ code: "invalid_second_factor" });
    expect(await verifySecondFactor(s(), who, { code: codeAt(secret, 0) })).toMatchObject({ method: "totp" });
  });

  it("a sealed secret moved into another person's row does not open", async () => {
    const a = await enrolled();
    const b = await enrolled();
    await stack.owner`update user_totp set (secret_ciphertext, secret_iv, secret_tag, secret_key_version) =
      (select secret_ciphertext, secret_iv, secret_tag, secret_key_version from user_totp where user_id = ${a.who.userId})
      where user_id = ${b.who.userId}`;
    now = new Date(now.getTime() + STEP);
    await expect(verifySecondFactor(s(), b.who, { code: codeAt(a.secret, 0) })).rejects.toMatchObject({ code: "vault_decrypt_failed" });
    await expect(verifySecondFactor(s(), b.who, { code: codeAt(b.secret, 0) })).rejects.toMatchObject({ code: "vault_decrypt_failed" });
    // A's own row still opens.
    expect(await verifySecondFactor(s(), a.who, { code: codeAt(a.secret, 0) })).toMatchObject({ method: "totp" });
  });
});

describe("recovery codes", () => {
  it("each works once; regenerating kills every earlier one", async () => {
    const { who, secret, recoveryCodes } = await enrolled({ workspace: true });
    expect(await verifySecondFactor(s(), who, { recoveryCode: recoveryCodes[3]!.toUpperCase() })).toEqual({ method: "recovery_code", recovery_codes_left: 9 });
    await expect(verifySecondFactor(s(), who, { recoveryCode: recoveryCodes[3]! })).rejects.toMatchObject({ code: "invalid_second_factor" });
    // Another person's code is nothing here.
    const other = await enrolled();
    await expect(verifySecondFactor(s(), who, { recoveryCode: other.recoveryCodes[0]! })).rejects.toMatchObject({ code: "invalid_second_factor" });

    // Regenerating needs a code now or a recent step-up.
    await expect(regenerateRecoveryCodes(s(), who, null, null)).rejects.toMatchObject({ status: 401, code: "step_up_required" });
    await expect(regenerateRecoveryCodes(s(), who, null, new Date(now.getTime() - 11 * 60_000))).rejects.toMatchObject({ code: "step_up_required" });
    const { recovery_codes: fresh } = await regenerateRecoveryCodes(s(), who, { code: codeAt(secret, 0) }, null);
    expect(fresh).toHaveLength(10);
    for (const old of [recoveryCodes[0]!, recoveryCodes[9]!]) await expect(verifySecondFactor(s(), who, { recoveryCode: old })).rejects.toMatchObject({ code: "invalid_second_factor" });
    expect(await verifySecondFactor(s(), who, { recoveryCode: fresh[0]! })).toMatchObject({ recovery_codes_left: 9 });
    const again = await regenerateRecoveryCodes(s(), who, null, new Date(now.getTime() - 60_000));
    expect(again.recovery_codes[0]).not.toBe(fresh[0]);
    const actions = await stack.owner<{ action: string }[]>`select action from audit_log where workspace_id = ${who.workspaceId} order by id`;
    expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(["recovery_code.used", "second_factor.failed", "recovery_codes.regenerated"]));
  });
});

describe("attempts", () => {
  it(`${FACTOR_ATTEMPTS} wrong codes per person, then 429 with Retry-After even for a right one; right codes do not count`, async () => {
    const { who, secret } = await enrolled();
    const other = await enrolled();
    now = new Date(now.getTime() + STEP);
    const wrong = String((Number(codeAt(secret, 0)) + 500_000) % 1e6).padStart(6, "0");
    for (let i = 0; i < FACTOR_ATTEMPTS - 1; i++) await expect(verifySecondFactor(s(), who, { code: wrong })).rejects.toMatchObject({ code: "invalid_second_factor" });
    await verifySecondFactor(s(), who, { code: codeAt(secret, 0) }); // refunded
    await expect(verifySecondFactor(s(), who, { code: wrong })).rejects.toMatchObject({ code: "invalid_second_factor" });
    now = new Date(now.getTime() + STEP);
    const limited = await verifySecondFactor(s(), who, { code: codeAt(secret, 0) }).catch((e: unknown) => e);
    expect(limited).toMatchObject({ status: 429, code: "rate_limited_second_factor" });
    const retryAfter = Number((limited as { headers: Record<string, string> }).headers["Retry-After"]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // Per person: someone else is not slowed.
    expect(await verifySecondFactor(s(), other.who, { code: codeAt(other.secret, 0) })).toMatchObject({ method: "totp" });
  });
});

describe("disabling", () => {
  it("needs a current code or a recent step-up, and removes the secret and the recovery codes", async () => {
    const { who, secret, recoveryCodes } = await enrolled();
    await expect(disableTotp(s(), who, null, null)).rejects.toMatchObject({ code: "step_up_required" });
    now = new Date(now.getTime() + STEP);
    await disableTotp(s(), who, { code: codeAt(secret, 0) }, null);
    expect(await factorStatus(s(), who.userId)).toEqual({ totp: "none", totp_enabled_at: null, recovery_codes_left: 0 });
    expect(await stack.owner`select 1 from recovery_codes where user_id = ${who.userId}`).toHaveLength(0);
    await expect(verifySecondFactor(s(), who, { recoveryCode: recoveryCodes[0]! })).rejects.toMatchObject({ code: "totp_not_enabled" });
    await expect(disableTotp(s(), who, null, null)).rejects.toMatchObject({ code: "totp_not_enabled" });
  });
});

describe("require_mfa", () => {
  it("owners and admins switch it (settings:write), and only from a session that has a second factor itself", async () => {
    const owner = await person({ workspace: true });
    const facts = { ...owner, role: "owner", userVerified: false, secondFactorAt: null };
    const requireMfa = async () => (await stack.owner<{ require_mfa: boolean }[]>`select require_mfa from workspaces where id = ${owner.workspaceId}`)[0]!.require_mfa;
    expect(await requireMfa()).toBe(true); // a new workspace requires it (migration 0037)
    await expect(setRequireMfa(s(), { ...facts, role: "admin", userVerified: true }, false)).resolves.toEqual({ require_mfa: false });
    await expect(setRequireMfa(s(), facts, true)).rejects.toMatchObject({ status: 403, code: "second_factor_required" });
    await expect(setRequireMfa(s(), { ...facts, role: "agent", userVerified: true }, true)).rejects.toMatchObject({ status: 403, code: "forbidden" });
    await expect(setRequireMfa(s(), { ...facts, role: "viewer", userVerified: true }, true)).rejects.toMatchObject({ status: 403, code: "forbidden" });
    expect(await requireMfa()).toBe(false);
    expect(await setRequireMfa(s(), { ...facts, userVerified: true }, true)).toEqual({ require_mfa: true });
    expect(await requireMfa()).toBe(true);
    await expect(setRequireMfa(s(), { ...facts, role: "agent", userVerified: true }, false)).rejects.toMatchObject({ status: 403, code: "forbidden" });
    expect(await setRequireMfa(s(), facts, false)).toEqual({ require_mfa: false }); // turning it off needs no factor
    expect(await requireMfa()).toBe(false);
    const actions = await stack.owner<{ action: string }[]>`select action from audit_log where workspace_id = ${owner.workspaceId} order by id`;
    expect(actions.map((a) => a.action)).toEqual(["workspace.created", "workspace.require_mfa_disabled", "workspace.require_mfa_enabled", "workspace.require_mfa_disabled"]);
  });

  it("asks a member without a factor to enrol, one with TOTP to verify, and nothing of a session with a factor", async () => {
    const bare = await person({ workspace: true, role: "agent" }); // a new workspace requires a second factor
    const google = { ...bare, role: "agent", userVerified: false, secondFactorAt: null };
    expect(await secondFactorNeed(s(), google)).toEqual({ next: "enrol", required_by_workspace: true });
    expect(await secondFactorNeed(s(), { ...google, userVerified: true })).toBeNull();
    expect(await secondFactorNeed(s(), { ...google, secondFactorAt: now })).toBeNull();
    // The same person in a workspace that does not require it: nothing to do.
    expect(await secondFactorNeed(s(), { ...google, workspaceId: null })).toBeNull();

    const { who } = await enrolled({ workspace: true });
    const session = { ...who, role: "owner", userVerified: false, secondFactorAt: null };
    // Someone who set up TOTP is asked for it after a Google sign-in, required or not.
    await stack.owner`update workspaces set require_mfa = false where id = ${who.workspaceId}`;
    expect(await secondFactorNeed(s(), session)).toEqual({ next: "verify", required_by_workspace: false });
    await stack.owner`update workspaces set require_mfa = true where id = ${who.workspaceId}`;
    expect(await secondFactorNeed(s(), session)).toEqual({ next: "verify", required_by_workspace: true });
  });
});

describe("vault rotation", () => {
  it("re-seals TOTP secrets under the new key version; codes keep working, the old key alone no longer opens them", async () => {
    const { who, secret } = await enrolled();
    const env = {
      DATABASE_URL: stack.config.databaseUrl,
      DATABASE_MIGRATION_URL: stack.config.migrationDatabaseUrl,
      REDIS_URL: stack.config.redis.kind === "tcp" ? stack.config.redis.url : "",
      REDIS_PREFIX: stack.config.redis.prefix,
    };
    const v2 = testConfig({ ...env, MASTER_KEK: "rotated-master-kek-abcdefghijklmnopqrstuvwxyz012345", VAULT_KEY_VERSION: "2", MASTER_KEK_V1: TEST_SECRETS.MASTER_KEK });
    const next = createNodeServices(v2, { clock, databaseUrl: stack.config.migrationDatabaseUrl });
    try {
      expect(await rotatePersonFields(next, [who.userId])).toEqual({ rotated: 1 });
      expect(await rotatePersonFields(next, [who.userId])).toEqual({ rotated: 0 });
      const [row] = await stack.owner`select secret_key_version as v from user_totp where user_id = ${who.userId}`;
      expect(row!.v).toBe(2);
      now = new Date(now.getTime() + STEP);
      expect(await verifySecondFactor(next, who, { code: codeAt(secret, 0) })).toMatchObject({ method: "totp" });
      now = new Date(now.getTime() + STEP);
      await expect(verifySecondFactor(s(), who, { code: codeAt(secret, 0) })).rejects.toMatchObject({ code: "vault_key_missing" });
      // The start-up key check opens a person's sealed secret too: a wrong key for version 2 is named.
      const wrong = createNodeServices(testConfig({ ...env, MASTER_KEK: "another-master-kek-abcdefghijklmnopqrstuvwxyz0123456", VAULT_KEY_VERSION: "2", MASTER_KEK_V1: TEST_SECRETS.MASTER_KEK }), { databaseUrl: stack.config.migrationDatabaseUrl });
      try {
        await stack.owner`delete from vault_key_checks where key_version = 2`;
        expect(await recordVaultKeys(wrong.db, wrong.vault)).toEqual([expect.stringMatching(/MASTER_KEK does not match vault key version 2/)]);
      } finally {
        await wrong.close();
      }
    } finally {
      await next.close();
    }
  });
});

describe("secrets", () => {
  it("neither TOTP secrets, URIs nor recovery codes reach the logs or the audit log", async () => {
    const seen: string[] = [];
    for (const workspace of [false, true]) {
      const who = await person({ workspace });
      const e = await startTotpEnrolment(s(), who);
      seen.push(e.secret, e.otpauth_uri);
      const { recovery_codes } = await confirmTotp(s(), who, codeAt(e.secret, -1));
      seen.push(...recovery_codes);
      await verifySecondFactor(s(), who, { recoveryCode: recovery_codes[0]! });
      await verifySecondFactor(s(), who, { recoveryCode: recovery_codes[0]! }).catch(() => {});
      const fresh = await regenerateRecoveryCodes(s(), who, null, now);
      seen.push(...fresh.recovery_codes);
      // A careless log call with a code in a message or a field is redacted too.
      s().logger.warn(`copied ${fresh.recovery_codes[1]} and ${e.otpauth_uri}`, { recovery_codes: fresh.recovery_codes, totp_secret: e.secret });
    }
    const audit = await stack.owner<{ details: unknown }[]>`select details from audit_log`;
    const haystack = stack.logs.join("\n") + JSON.stringify(audit);
    expect(stack.logs.some((l) => l.includes("totp.enabled"))).toBe(true); // the person with no workspace was logged
    for (const secret of seen) expect(haystack).not.toContain(secret);
    expect(haystack).not.toContain(seen[0]!.slice(0, 16));
  });
});
