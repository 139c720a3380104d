import { sql } from "drizzle-orm";
import { withDeadline } from "../../db/deadline.js";
import { asApp } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { addressBucket } from "../client-address.js";
import { AppError, unauthorized } from "../errors.js";
import { limitsFromSettings, type Limits } from "../gate/limits.js";
import { defineScript } from "../redis/port.js";
import admitSource from "./admit.lua.js";
import knownSource from "./known.lua.js";
import { hashApiKey, KEY_PATTERN } from "./format.js";
import { isPermission, type Permission } from "../permissions/vocabulary.js";

export interface ApiKeyAuth {
  keyId: string;
  workspaceId: string;
  limits: Limits;
  /** null: full access (lib/permissions/principal.ts). Fixed at creation, so cacheable. */
  scopes: readonly Permission[] | null;
}

/** Who is calling, and whether the database vouched for it during this request. */
export interface Identified {
  auth: ApiKeyAuth;
  hash: string;
  fresh: boolean;
}

/**
 * Who a key belongs to is cached in process memory (it never changes); whether it is
 * revoked is not: revocation writes a tombstone in Redis and removes the key's live
 * marker, and every request checks both before anything else (lib/gate/request.ts).
 * A key without a marker (Redis lost it) is asked of the database again.
 */
export const IDENTITY_TTL_MS = 60_000;
/** Longer than any identity cache entry can live; after it the database's revoked_at answers. */
export const TOMBSTONE_TTL_S = 24 * 3600;
export const revocationKey = (workspaceId: string, keyId: string) => `{w:${workspaceId}}:revoked:${keyId}`;
/** "Redis vouches for this key": set after the database did, removed by revocation. */
export const liveKey = (workspaceId: string, keyId: string) => `{w:${workspaceId}}:live:${keyId}`;
export const LIVE_TTL_S = 24 * 3600;
/** A key created after a miss is usable at once in other processes, here within this. */
export const UNKNOWN_KEY_TTL_MS = 10_000;
/** Database look-ups of keys Redis has not seen valid, per client address per minute. */
export const AUTH_FAILURES_PER_MINUTE = 30;
const KNOWN_TTL_S = 7 * 24 * 3600;
const failuresKey = (ip: string) => `authfail:${addressBucket(ip)}`;
const knownKey = (hash: string) => `apikey:known:${hash}`;

const ADMIT = defineScript("apikey_admit", admitSource);
const KNOWN = defineScript("apikey_known", knownSource);

/**
 * Who is calling: the identity cache, else the database. A key this process or Redis
 * knows to be valid is looked up whatever its address has done; any other key first
 * counts against its address (atomically, before the look-up), and past
 * AUTH_FAILURES_PER_MINUTE the address's unknown keys get 429 without a look-up. So a
 * shared address (a proxy, a NAT) full of bad keys never locks out a valid one, and a
 * burst of guesses costs at most that many queries.
 */
export async function identifyApiKey(s: Services, header: string | undefined, ip: string): Promise<Identified> {
  const key = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  if (!key) throw unauthorized();
  // Refused before hashing or asking anyone: costs nothing, so counts nowhere.
  if (!KEY_PATTERN.test(key)) throw unauthorized("The API key is malformed");
  const hash = await hashApiKey(key);
  const cached = s.caches.apiKeys.get(hash);
  if (cached) return { auth: cached, hash, fresh: false };
  const refused = s.caches.unknownKeys.get(hash);
  if (refused) throw unauthorized(refused === "revoked" ? "The API key has been revoked" : "The API key is not known");

  // Concurrent requests with one cold key share one admission and one look-up: a burst
  // from a valid key must not count as a burst of failures.
  let pending = s.caches.keyLookups.get(hash);
  if (!pending) {
    pending = admitAndLookUp(s, hash, ip);
    s.caches.keyLookups.set(hash, pending);
    void pending.finally(() => s.caches.keyLookups.delete(hash)).catch(() => {});
  }
  return { auth: await pending, hash, fresh: true };
}

const admitAndLookUp = (s: Services, hash: string, ip: string): Promise<ApiKeyAuth> => admitLookUp(s, hash, ip, () => lookUp(s, hash));

/**
 * The address's failure throttle around one database look-up of a bearer secret's hash
 * (an API key; a support token, lib/support/authenticate.ts): a hash Redis has seen
 * found goes straight on; any other counts against its address first, and past
 * AUTH_FAILURES_PER_MINUTE is 429 without a look-up. `lookUp` throws for a hash it does
 * not find; what it returns marks the hash known and gives back what was counted.
 */
export async function admitLookUp<T>(s: Services, hash: string, ip: string, lookUp: () => Promise<T>): Promise<T> {
  const admit = await s.redis.run<[string, number?]>(ADMIT, [knownKey(hash), failuresKey(ip)], [AUTH_FAILURES_PER_MINUTE, 60_000]);
  if (admit[0] === "throttled") {
    throw new AppError(429, "rate_limited_ip", "Too many failed authentications from this address", undefined, { "Retry-After": String(Math.max(1, Math.ceil(Number(admit[1]) / 1000))) });
  }
  const found = await lookUp();
  await s.redis.run(KNOWN, [knownKey(hash), failuresKey(ip)], [KNOWN_TTL_S, admit[0] === "counted" ? 1 : 0]);
  return found;
}

/** Again from the database, for a key whose live marker Redis no longer holds. */
export async function reverifyApiKey(s: Services, hash: string): Promise<Identified> {
  s.caches.apiKeys.delete(hash);
  return { auth: await lookUp(s, hash), hash, fresh: true };
}

async function lookUp(s: Services, hash: string): Promise<ApiKeyAuth> {
  const rows = await withDeadline(
    asApp(s.requestDb ?? s.db, (tx) =>
      tx.execute<{ key_id: string; workspace_id: string; revoked: boolean; settings: Record<string, unknown>; scopes: unknown }>(
        sql`select * from sandesh_api_key_lookup(${hash})`,
      ),
    ),
    "the API key look-up",
  );
  const row = rows[0];
  if (!row) {
    s.caches.unknownKeys.set(hash, "unknown");
    throw unauthorized("The API key is not known");
  }
  if (row.revoked) {
    s.caches.unknownKeys.set(hash, "revoked");
    // From now on its guesses count against the address like any unknown key's.
    await s.redis.del(knownKey(hash));
    throw unauthorized("The API key has been revoked");
  }
  const auth = { keyId: row.key_id, workspaceId: row.workspace_id, limits: limitsFromSettings(row.settings), scopes: scopesOf(row.scopes) };
  s.caches.apiKeys.set(hash, auth);
  return auth;
}

/** null stays full access; anything else is read strictly: what is not a known scope grants nothing. */
const scopesOf = (v: unknown): Permission[] | null => (v === null || v === undefined ? null : Array.isArray(v) ? v.filter((x): x is Permission => typeof x === "string" && isPermission(x)) : []);
