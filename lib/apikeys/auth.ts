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
 * Brute force: an address that keeps presenting bad keys is refused before any look-up
 * (429), so guessing costs neither database queries nor a useful answer.
 */
export async function identifyOrThrottle(s: Services, header: string | undefined, ip: string): Promise<ApiKeyAuth> {
  const known = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  if (!known || !s.caches.apiKeys.get(await hashApiKey(known))) {
    if (Number((await s.redis.get(failuresKey(ip))) ?? 0) >= AUTH_FAILURES_PER_MINUTE) {
      throw new AppError(429, "rate_limited_ip", "Too many failed authentications from this address", undefined, { "Retry-After": "60" });
    }
  }
  try {
    return await identifyApiKey(s, header);
  } catch (err) {
    if (err instanceof AppError && err.status === 401) {
      const n = await s.redis.incr(failuresKey(ip));
      if (n === 1) await s.redis.expire(failuresKey(ip), 60);
    }
    throw err;
  }
}

/** Identity only: memory, else the database. Revocation is the caller's next step. */
export async function identifyApiKey(s: Services, header: string | undefined): Promise<ApiKeyAuth> {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw unauthorized();
  const key = match[1]!;
  if (!KEY_PATTERN.test(key)) throw unauthorized("The API key is malformed");

  const hash = await hashApiKey(key);
  const cached = s.caches.apiKeys.get(hash);
  if (cached) return cached;
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
