import { addressBucket } from "../client-address.js";
import type { Services } from "../context.js";
import { sha256Hex } from "../crypto/encoding.js";
import { AppError } from "../errors.js";
import { defineScript } from "../redis/port.js";
import attemptsSource from "./attempts.lua.js";

const ATTEMPTS = defineScript("people_attempts", attemptsSource);

/**
 * What is being attempted. sign_in: passkey and Google sign-in (options, verify,
 * callback); invitation: opening or accepting an invitation link; invite: sending
 * invitations from the dashboard.
 */
export type AttemptScope = "sign_in" | "invitation" | "invite";

/** Per address: attempts per window. Per account: failures per window. */
export const ATTEMPT_LIMITS: Record<AttemptScope, { address: number; addressWindowMs: number; account: number; accountWindowMs: number }> = {
  sign_in: { address: 30, addressWindowMs: 60_000, account: 10, accountWindowMs: 15 * 60_000 },
  invitation: { address: 30, addressWindowMs: 60_000, account: 10, accountWindowMs: 15 * 60_000 },
  invite: { address: 30, addressWindowMs: 60_000, account: 50, accountWindowMs: 3600_000 },
};

/**
 * The account an attempt is about (an email, a user id, an invitation token), as Redis
 * sees it: hashed, so Redis holds no email or token, and the same whether or not the
 * account exists, so the limit's answer says nothing about that.
 */
const accountKey = async (scope: AttemptScope, account: string) => `people:${scope}:acct:${await sha256Hex(account.trim().toLowerCase())}`;
const addressKey = (scope: AttemptScope, ip: string) => `people:${scope}:ip:${addressBucket(ip)}`;

export const tooManyAttempts = (retryAfterMs: number) =>
  new AppError(429, "rate_limited", "Too many attempts; try again later", undefined, { "Retry-After": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) });

/**
 * Before a sign-in or invitation step does any work: refused (429 rate_limited, with
 * Retry-After) once the address has made too many attempts, or the account has failed
 * too often. Call with the account when it is known (the email typed, the invitation
 * token); the answer is the same for an account that does not exist.
 */
export async function admitAttempt(s: Services, scope: AttemptScope, ip: string | null | undefined, account?: string): Promise<void> {
  const l = ATTEMPT_LIMITS[scope];
  const keys = [addressKey(scope, ip ?? "unknown"), ...(account ? [await accountKey(scope, account)] : [])];
  const r = await s.redis.run<[string, number?]>(ATTEMPTS, keys, ["attempt", l.address, l.addressWindowMs, l.account, l.accountWindowMs]);
  if (r[0] === "limited") throw tooManyAttempts(Number(r[1]));
}

/**
 * The per-account half alone, for a step whose address was already counted on this
 * request (a passkey answer names its person only once it is read): refused while the
 * account has used its failures. Counting stays recordFailedAttempt's.
 */
export async function admitAccount(s: Services, scope: AttemptScope, account: string): Promise<void> {
  const l = ATTEMPT_LIMITS[scope];
  const failures = Number((await s.redis.get(await accountKey(scope, account))) ?? 0);
  if (failures >= l.account) throw tooManyAttempts(l.accountWindowMs);
}

/** A failed attempt on an account (a wrong assertion, a refused token): counts toward its limit. */
export async function recordFailedAttempt(s: Services, scope: AttemptScope, account: string): Promise<void> {
  const l = ATTEMPT_LIMITS[scope];
  await s.redis.run(ATTEMPTS, ["unused", await accountKey(scope, account)], ["failure", l.address, l.addressWindowMs, l.account, l.accountWindowMs]);
}
