import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addPasskey, addPasskeyOptions, type Person } from "../lib/passkeys/add.js";
import { authenticationOptions } from "../lib/passkeys/authentication-options.js";
import { verifyPasskeySignIn } from "../lib/passkeys/authentication-verify.js";
import { CHALLENGE_TTL_S } from "../lib/passkeys/challenges.js";
import { listPasskeys, removePasskey, renamePasskey } from "../lib/passkeys/manage.js";
import { PasskeyRefusal } from "../lib/passkeys/refusal.js";
import { SoftAuthenticator } from "./support/soft-authenticator.js";
import { createTestStack, type TestStack } from "./support/stack.js";
import { seedWorkspace } from "./support/tenant-isolation.js";

const ORIGIN = "https://app.sandesh.test";
let now = Date.parse("2026-12-01T10:00:00Z");
const clock = { now: () => new Date(now) };
let stack: TestStack;
/** Every challenge the server handed out in this file: none may ever reach a log. */
const issued: string[] = [];

beforeAll(async () => {
  stack = await createTestStack({ PUBLIC_URL: ORIGIN }, { clock });
});
afterAll(() => stack.close());

const rand = () => Math.random().toString(36).slice(2, 10);

async function person(): Promise<Person & { workspaceId: string }> {
  const workspaceId = await seedWorkspace(stack.owner, `W ${rand()}`);
  const email = `p-${rand()}@example.test`;
  const [u] = await stack.owner<{ id: string }[]>`insert into users (email) values (${email}) returning id`;
  await stack.owner`insert into memberships (workspace_id, user_id, role) values (${workspaceId}, ${u!.id}, 'owner')`;
  return { userId: u!.id, email, workspaceId };
}

async function register(p: Person, device: SoftAuthenticator, name?: string) {
  now += 1000; // passkeys list in the order they were added
  const options = await addPasskeyOptions(stack.services, p);
  issued.push(options.challenge);
  return addPasskey(stack.services, p, await device.create(options), name, { ip: "198.51.100.4", userAgent: "test" });
}

async function loginOptions() {
  const options = await authenticationOptions(stack.services);
  issued.push(options.challenge);
  return options;
}

const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(PasskeyRefusal);
  return (err as PasskeyRefusal).reason;
};

const audit = (workspaceId: string, action: string) =>
  stack.owner<{ actor_id: string; object_id: string | null; ip: string | null; details: Record<string, unknown> }[]>`
    select actor_id, object_id, ip, details from audit_log where workspace_id = ${workspaceId} and action = ${action} order by id`;

describe("passkey registration and sign-in (software authenticator, real PostgreSQL and Redis)", () => {
  it("a person registers a passkey and signs in with it, usernameless; counter, backup flags and last use are recorded", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN);
    const options = await addPasskeyOptions(stack.services, p);
    issued.push(options.challenge);
    expect(options.rp).toEqual({ id: "app.sandesh.test", name: "Sandesh" });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
    expect(options.user.name).toBe(p.email);
    expect(options.user.id).not.toContain(p.userId);
    const added = await addPasskey(stack.services, p, await device.create(options), "Work laptop", { ip: "198.51.100.4" });
    expect(added).toMatchObject({ name: "Work laptop", backupEligible: true, backedUp: true, lastUsedAt: null });

    const login = await loginOptions();
    expect(login.allowCredentials).toEqual([]);
    expect(login.userVerification).toBe("required");
    expect(login.rpId).toBe("app.sandesh.test");
    now += 1000;
    const signIn = await verifyPasskeySignIn(stack.services, await device.get(login), { ip: "198.51.100.4" });
    expect(signIn).toEqual({ userId: p.userId, passkeyId: added.id, userVerified: true });

    const [row] = await stack.owner`select sign_count, backed_up, backup_eligible, last_used_at, public_key is not null as has_key from passkeys where id = ${added.id}`;
    expect(row).toMatchObject({ sign_count: "1", backed_up: true, backup_eligible: true, has_key: true });
    expect((row!.last_used_at as Date).getTime()).toBe(now);
    expect((await audit(p.workspaceId, "passkey.added")).map((r) => [r.actor_id, r.object_id, r.details.name])).toEqual([[p.userId, added.id, "Work laptop"]]);
    expect((await audit(p.workspaceId, "passkey.sign_in")).map((r) => [r.actor_id, r.object_id, r.ip])).toEqual([[p.userId, added.id, "198.51.100.4"]]);
  });

  it("a device that is not backed up is recorded as such, and a later backup is picked up at sign-in", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN, { up: true, uv: true, be: true, bs: false });
    const added = await register(p, device);
    expect(added).toMatchObject({ name: "Passkey", backupEligible: true, backedUp: false });
    await verifyPasskeySignIn(stack.services, await device.get(await loginOptions(), { bs: true }));
    expect((await listPasskeys(stack.services, p.userId))[0]).toMatchObject({ backedUp: true });
  });

  it("several passkeys per person, named, each default-named in turn, the person's own excluded from a new registration", async () => {
    const p = await person();
    const a = new SoftAuthenticator(ORIGIN);
    await register(p, a);
    const b = new SoftAuthenticator(ORIGIN);
    await register(p, b);
    const options = await addPasskeyOptions(stack.services, p);
    expect(options.excludeCredentials?.map((c) => c.id).sort()).toEqual([a.credentials[0]!.id, b.credentials[0]!.id].sort());
    // One handle per person: every passkey of theirs carries the same user.id.
    expect(options.user.id).toBe(a.credentials[0]!.userHandle);
    await expect(a.create(options)).rejects.toThrow(/InvalidStateError/);
    const list = await listPasskeys(stack.services, p.userId);
    expect(list.map((k) => k.name)).toEqual(["Passkey", "Passkey 2"]);
    const renamed = await renamePasskey(stack.services, p.userId, list[1]!.id, "  Phone  ");
    expect(renamed.name).toBe("Phone");
    await expect(renamePasskey(stack.services, p.userId, list[1]!.id, "")).rejects.toMatchObject({ status: 422 });
    await expect(renamePasskey(stack.services, p.userId, list[1]!.id, "x".repeat(65))).rejects.toMatchObject({ status: 422 });
    expect((await audit(p.workspaceId, "passkey.renamed")).map((r) => r.details)).toEqual([{ from: "Passkey 2", to: "Phone" }]);
  });

  it("another person's passkey cannot be renamed or removed: it is not found", async () => {
    const p = await person();
    const q = await person();
    const added = await register(p, new SoftAuthenticator(ORIGIN));
    await register(q, new SoftAuthenticator(ORIGIN));
    await register(q, new SoftAuthenticator(ORIGIN));
    await expect(renamePasskey(stack.services, q.userId, added.id, "mine")).rejects.toMatchObject({ status: 404 });
    await expect(removePasskey(stack.services, q.userId, added.id)).rejects.toMatchObject({ status: 404 });
    expect(await listPasskeys(stack.services, p.userId)).toHaveLength(1);
  });
});

describe("refusals", () => {
  it("registration without user verification is refused, stores nothing, and is audited", async () => {
    const p = await person();
    const options = await addPasskeyOptions(stack.services, p);
    issued.push(options.challenge);
    const device = new SoftAuthenticator(ORIGIN);
    expect(await refusal(addPasskey(stack.services, p, await device.create(options, { uv: false }), undefined))).toBe("user_not_verified");
    expect(await listPasskeys(stack.services, p.userId)).toEqual([]);
    expect((await audit(p.workspaceId, "passkey.add_failed")).map((r) => r.details)).toEqual([{ reason: "user_not_verified" }]);
  });

  it("sign-in without user verification is refused and audited for the passkey's owner", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN);
    const added = await register(p, device);
    expect(await refusal(verifyPasskeySignIn(stack.services, await device.get(await loginOptions(), { uv: false }), { ip: "192.0.2.9" }))).toBe("user_not_verified");
    expect((await audit(p.workspaceId, "passkey.sign_in_failed")).map((r) => [r.object_id, r.ip, r.details.reason])).toEqual([[added.id, "192.0.2.9", "user_not_verified"]]);
    expect(await audit(p.workspaceId, "passkey.sign_in")).toEqual([]);
  });

  it("a response made on another origin is refused, at registration and at sign-in", async () => {
    const p = await person();
    const options = await addPasskeyOptions(stack.services, p);
    issued.push(options.challenge);
    const phished = new SoftAuthenticator("https://app.sandesh.test.evil.example");
    expect(await refusal(addPasskey(stack.services, p, await phished.create({ ...options, rp: { ...options.rp } }), undefined))).toBe("wrong_origin");
    const device = new SoftAuthenticator(ORIGIN);
    await register(p, device);
    expect(await refusal(verifyPasskeySignIn(stack.services, await device.get(await loginOptions(), { origin: "http://app.sandesh.test" })))).toBe("wrong_origin");
  });

  it("a response for another RP ID is refused, at registration and at sign-in", async () => {
    const p = await person();
    const options = await addPasskeyOptions(stack.services, p);
    issued.push(options.challenge);
    const device = new SoftAuthenticator(ORIGIN);
    // sandesh.test is a registrable suffix a browser would allow; this server is bound to app.sandesh.test.
    expect(await refusal(addPasskey(stack.services, p, await device.create(options, { rpId: "sandesh.test" }), undefined))).toBe("wrong_rp_id");
    const good = new SoftAuthenticator(ORIGIN);
    await register(p, good);
    expect(await refusal(verifyPasskeySignIn(stack.services, await good.get(await loginOptions(), { rpId: "sandesh.test" })))).toBe("wrong_rp_id");
  });

  it("a challenge is single use: the same response replayed, or a new signature over a used challenge, is refused", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN);
    await register(p, device);
    const options = await loginOptions();
    const response = await device.get(options);
    await verifyPasskeySignIn(stack.services, response);
    expect(await refusal(verifyPasskeySignIn(stack.services, response))).toBe("challenge_unknown");
    expect(await refusal(verifyPasskeySignIn(stack.services, await device.get(options)))).toBe("challenge_unknown");
  });

  it("concurrent answers to one challenge: exactly one is verified", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN);
    await register(p, device);
    const options = await loginOptions();
    const response = await device.get(options);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => verifyPasskeySignIn(stack.services, response)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("a challenge older than five minutes is refused, at sign-in and at registration", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN);
    await register(p, device);
    const options = await loginOptions();
    const reg = await addPasskeyOptions(stack.services, p);
    issued.push(reg.challenge);
    now += CHALLENGE_TTL_S * 1000 + 1000;
    expect(await refusal(verifyPasskeySignIn(stack.services, await device.get(options)))).toBe("challenge_expired");
    expect(await refusal(addPasskey(stack.services, p, await new SoftAuthenticator(ORIGIN).create(reg), undefined))).toBe("challenge_expired");
    // Just inside the bound still works.
    const fresh = await loginOptions();
    now += CHALLENGE_TTL_S * 1000 - 1000;
    await verifyPasskeySignIn(stack.services, await device.get(fresh));
  });

  it("the challenge expires in Redis too: five minutes, no more", async () => {
    const options = await loginOptions();
    const { sha256Hex } = await import("../lib/crypto/encoding.js");
    const { Redis } = await import("ioredis");
    const redis = new Redis(stack.config.redis.url);
    try {
      const ttl = await redis.ttl(`${stack.config.redis.prefix}passkey:challenge:${await sha256Hex(options.challenge)}`);
      expect(ttl).toBeGreaterThan(CHALLENGE_TTL_S - 5);
      expect(ttl).toBeLessThanOrEqual(CHALLENGE_TTL_S);
    } finally {
      redis.disconnect();
    }
  });

  it("a signature counter that goes backwards (a cloned authenticator) is refused and the stored counter kept", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN);
    const added = await register(p, device);
    await verifyPasskeySignIn(stack.services, await device.get(await loginOptions(), { counter: 5 }));
    expect(await refusal(verifyPasskeySignIn(stack.services, await device.get(await loginOptions(), { counter: 3 })))).toBe("counter_went_backwards");
    expect(await refusal(verifyPasskeySignIn(stack.services, await device.get(await loginOptions(), { counter: 5 })))).toBe("counter_went_backwards");
    const [row] = await stack.owner`select sign_count from passkeys where id = ${added.id}`;
    expect(row!.sign_count).toBe("5");
    expect((await audit(p.workspaceId, "passkey.sign_in_failed")).map((r) => r.details.reason)).toEqual(["counter_went_backwards", "counter_went_backwards"]);
  });

  it("authenticators that do not count (always 0) sign in again and again", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN);
    await register(p, device);
    for (let i = 0; i < 2; i++) await verifyPasskeySignIn(stack.services, await device.get(await loginOptions(), { counter: 0 }));
  });

  it("an unknown credential is refused and goes to the log (there is nobody to audit it for)", async () => {
    const stranger = new SoftAuthenticator(ORIGIN);
    const p = await person();
    // Registered elsewhere (its own challenge), never with this server: simulate by a second server's options.
    await stranger.create({ challenge: "AAAA", rp: { id: "app.sandesh.test", name: "x" }, user: { id: "c3RyYW5nZXItaGFuZGxlLTAx", name: "s", displayName: "s" } });
    const before = stack.logs.length;
    expect(await refusal(verifyPasskeySignIn(stack.services, await stranger.get(await loginOptions()), { ip: "192.0.2.77" }))).toBe("unknown_credential");
    const line = stack.logs.slice(before).map((l) => JSON.parse(l)).find((l) => l.msg === "passkey.sign_in_failed");
    expect(line).toMatchObject({ level: "warn", reason: "unknown_credential", ip: "192.0.2.77", user_id: null });
    expect(await audit(p.workspaceId, "passkey.sign_in_failed")).toEqual([]);
  });

  it("a sign-in whose user handle is missing or another person's is refused", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN);
    await register(p, device);
    expect(await refusal(verifyPasskeySignIn(stack.services, await device.get(await loginOptions(), { userHandle: null })))).toBe("user_handle_mismatch");
    expect(await refusal(verifyPasskeySignIn(stack.services, await device.get(await loginOptions(), { userHandle: "b3RoZXItcGVyc29uLWhhbmRsZQ" })))).toBe("user_handle_mismatch");
  });

  it("a disabled person's passkey is refused", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN);
    await register(p, device);
    await stack.owner`update users set disabled_at = now() where id = ${p.userId}`;
    expect(await refusal(verifyPasskeySignIn(stack.services, await device.get(await loginOptions())))).toBe("user_disabled");
    expect((await audit(p.workspaceId, "passkey.sign_in_failed")).map((r) => r.details.reason)).toEqual(["user_disabled"]);
  });

  it("a backup-eligible flag that changes after registration is refused", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN, { up: true, uv: true, be: false, bs: false });
    await register(p, device);
    expect(await refusal(verifyPasskeySignIn(stack.services, await device.get(await loginOptions(), { be: true })))).toBe("backup_eligibility_changed");
  });

  it("a challenge from another ceremony is refused: a sign-in's for a registration, a registration's for a sign-in", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN);
    await register(p, device);
    const login = await loginOptions();
    const reg = await addPasskeyOptions(stack.services, p);
    issued.push(reg.challenge);
    // The login challenge, answered as a registration.
    const fake = await new SoftAuthenticator(ORIGIN).create({ ...reg, challenge: login.challenge });
    expect(await refusal(addPasskey(stack.services, p, fake, undefined))).toBe("challenge_other_ceremony");
    // The registration challenge, answered as a sign-in.
    expect(await refusal(verifyPasskeySignIn(stack.services, await device.get({ ...login, challenge: reg.challenge })))).toBe("challenge_other_ceremony");
  });

  it("a registration challenge issued to one person cannot add a passkey to another", async () => {
    const p = await person();
    const q = await person();
    const options = await addPasskeyOptions(stack.services, p);
    issued.push(options.challenge);
    const response = await new SoftAuthenticator(ORIGIN).create(options);
    expect(await refusal(addPasskey(stack.services, q, response, undefined))).toBe("challenge_other_subject");
    expect(await listPasskeys(stack.services, q.userId)).toEqual([]);
  });

  it("a malformed response is refused before anything is looked up", async () => {
    const p = await person();
    expect(await refusal(addPasskey(stack.services, p, { id: "x" }, undefined))).toBe("malformed_response");
    expect(await refusal(verifyPasskeySignIn(stack.services, "nope"))).toBe("malformed_response");
    const device = new SoftAuthenticator(ORIGIN);
    await register(p, device);
    const r = await device.get(await loginOptions());
    expect(await refusal(verifyPasskeySignIn(stack.services, { ...r, response: { ...r.response, clientDataJSON: "bm90IGpzb24" } }))).toBe("malformed_response");
  });

  it("a signature by another key is refused", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN);
    await register(p, device);
    const options = await loginOptions();
    const real = await device.get(options);
    const other = new SoftAuthenticator(ORIGIN);
    await other.create({ challenge: "AAAA", rp: { id: "app.sandesh.test", name: "x" }, user: { id: device.credentials[0]!.userHandle, name: "s", displayName: "s" } });
    const forged = await other.get({ ...options, challenge: "A".repeat(43) });
    const mixed = { ...real, response: { ...real.response, signature: forged.response.signature } };
    expect(await refusal(verifyPasskeySignIn(stack.services, mixed))).toBe("bad_signature");
  });
});

describe("removing passkeys", () => {
  it("the last sign-in method cannot be removed; with two, one can, and the removal is audited", async () => {
    const p = await person();
    const first = await register(p, new SoftAuthenticator(ORIGIN));
    await expect(removePasskey(stack.services, p.userId, first.id)).rejects.toMatchObject({ status: 409, code: "last_sign_in_method" });
    const second = await register(p, new SoftAuthenticator(ORIGIN));
    await removePasskey(stack.services, p.userId, first.id, { ip: "198.51.100.4" });
    expect((await listPasskeys(stack.services, p.userId)).map((k) => k.id)).toEqual([second.id]);
    await expect(removePasskey(stack.services, p.userId, second.id)).rejects.toMatchObject({ status: 409 });
    expect((await audit(p.workspaceId, "passkey.removed")).map((r) => [r.object_id, r.details.name, r.ip])).toEqual([[first.id, "Passkey", "198.51.100.4"]]);
  });

  it("a linked Google identity counts as a way in: the only passkey may then go, and the identity alone remains", async () => {
    const p = await person();
    const only = await register(p, new SoftAuthenticator(ORIGIN));
    await stack.owner`insert into user_identities (user_id, issuer, subject, email) values (${p.userId}, 'https://accounts.google.com', ${`sub-${rand()}`}, ${p.email})`;
    await removePasskey(stack.services, p.userId, only.id);
    expect(await listPasskeys(stack.services, p.userId)).toEqual([]);
  });

  it("two removals at once never leave a person without a passkey", async () => {
    const p = await person();
    const a = await register(p, new SoftAuthenticator(ORIGIN));
    const b = await register(p, new SoftAuthenticator(ORIGIN));
    const results = await Promise.allSettled([removePasskey(stack.services, p.userId, a.id), removePasskey(stack.services, p.userId, b.id)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await listPasskeys(stack.services, p.userId)).toHaveLength(1);
  });

  it("a removed passkey no longer signs in", async () => {
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN);
    const a = await register(p, device);
    await register(p, new SoftAuthenticator(ORIGIN));
    await removePasskey(stack.services, p.userId, a.id);
    expect(await refusal(verifyPasskeySignIn(stack.services, await device.get(await loginOptions())))).toBe("unknown_credential");
  });
});

describe("secrets", () => {
  it("challenges never reach the log, whether the ceremony succeeds or is refused for any reason", async () => {
    const mine: string[] = [];
    const p = await person();
    const device = new SoftAuthenticator(ORIGIN);
    const reg = await addPasskeyOptions(stack.services, p);
    mine.push(reg.challenge);
    await refusal(addPasskey(stack.services, p, await device.create(reg, { origin: "https://evil.example" }), undefined));
    await register(p, device);
    for (const t of [{}, { uv: false }, { rpId: "evil.example" }, { origin: "https://evil.example" }, { counter: 0 }, { type: "webauthn.create" }]) {
      const options = await loginOptions();
      mine.push(options.challenge);
      await verifyPasskeySignIn(stack.services, await device.get(options, t)).catch(() => undefined);
    }
    const log = stack.logs.join("\n");
    expect(log).toContain("passkey.sign_in_failed");
    for (const c of [...mine, ...issued]) expect(log).not.toContain(c);
  });
});
