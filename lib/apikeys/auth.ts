import { sql } from "drizzle-orm";
import { asApp } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError, unauthorized } from "../errors.js";
import { limitsFromSettings, type Limits } from "../gate/limits.js";
import { hashApiKey, KEY_PATTERN } from "./format.js";

export interface ApiKeyAuth {
  keyId: string;
  workspaceId: string;
  limits: Limits;
}

/**
 * Who a key belongs to is cached in process memory (it never changes); whether it is
 * revoked is not: revocation writes a tombstone in Redis, under the workspace's hash
 * tag, and every request checks it — in its own GET, or inside the send gate's single
 * round trip. So a key revoked by any process is refused on the very next request.
 */
export const IDENTITY_TTL_MS = 60_000;
/** Longer than any identity cache entry can live; after it the database's revoked_at answers. */
export const TOMBSTONE_TTL_S = 24 * 3600;
export const revocationKey = (workspaceId: string, keyId: string) => `{w:${workspaceId}}:revoked:${keyId}`;
/** A key created after a miss is usable at once in other processes, here within this. */
export const UNKNOWN_KEY_TTL_MS = 10_000;
/** Failed authentications per client address per minute before it is refused outright. */
export const AUTH_FAILURES_PER_MINUTE = 30;
const failuresKey = (ip: string) => `authfail:${ip}`;

/**
 * Who is calling: the identity cache, else the database. Parsed and hashed once.
 * Brute force: an address that keeps presenting bad keys is refused before any look-up
 * (429), so guessing costs neither database queries nor a useful answer; a key this
 * process already knows skips that check. Revocation is the caller's next step.
 */
export async function identifyApiKey(s: Services, header: string | undefined, ip: string): Promise<ApiKeyAuth> {
  const key = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  const hash = key ? await hashApiKey(key) : undefined;
  const cached = hash ? s.caches.apiKeys.get(hash) : undefined;
  if (cached) return cached;
  if (Number((await s.redis.get(failuresKey(ip))) ?? 0) >= AUTH_FAILURES_PER_MINUTE) {
    throw new AppError(429, "rate_limited_ip", "Too many failed authentications from this address", undefined, { "Retry-After": "60" });
  }
  try {
    return await lookUp(s, key, hash);
  } catch (err) {
    if (err instanceof AppError && err.status === 401) {
      const n = await s.redis.incr(failuresKey(ip));
      if (n === 1) await s.redis.expire(failuresKey(ip), 60);
    }
    throw err;
  }
}

async function lookUp(s: Services, key: string | undefined, hash: string | undefined): Promise<ApiKeyAuth> {
  if (!key || !hash) throw unauthorized();
  if (!KEY_PATTERN.test(key)) throw unauthorized("The API key is malformed");
  if (s.caches.unknownKeys.get(hash)) throw unauthorized("The API key is not known");

  const rows = await asApp(s.db, (tx) =>
    tx.execute<{ key_id: string; workspace_id: string; revoked: boolean; settings: Record<string, unknown> }>(
      sql`select * from sandesh_api_key_lookup(${hash})`,
    ),
  );
  const row = rows[0];
  if (!row) {
    s.caches.unknownKeys.set(hash, true);
    throw unauthorized("The API key is not known");
  }
  if (row.revoked) throw unauthorized("The API key has been revoked");
  const auth = { keyId: row.key_id, workspaceId: row.workspace_id, limits: limitsFromSettings(row.settings) };
  s.caches.apiKeys.set(hash, auth);
  return auth;
}
