import { sql } from "drizzle-orm";
import { asApp } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { unauthorized } from "../errors.js";
import { hashApiKey, KEY_PATTERN } from "./format.js";

export interface ApiKeyAuth {
  keyId: string;
  workspaceId: string;
}

/**
 * Key look-ups are cached in Redis, never in process memory, so a revocation made by
 * any process (the CLI, another Worker isolate) is seen on the very next request.
 * Populating uses NX and revoking writes a longer-lived tombstone: a look-up racing a
 * revocation cannot put the key back in the cache.
 */
export const CACHE_TTL_S = 300;
export const TOMBSTONE_TTL_S = CACHE_TTL_S * 2;
export const cacheKey = (hash: string) => `ak:${hash}`;

type Cached = { k: string; w: string } | { revoked: true };

export async function authenticateApiKey(s: Services, header: string | undefined): Promise<ApiKeyAuth> {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw unauthorized();
  const key = match[1]!;
  if (!KEY_PATTERN.test(key)) throw unauthorized("The API key is malformed");

  const hash = await hashApiKey(key);
  const cached = await s.redis.get(cacheKey(hash));
  if (cached) {
    const entry = JSON.parse(cached) as Cached;
    if ("revoked" in entry) throw unauthorized("The API key has been revoked");
    return { keyId: entry.k, workspaceId: entry.w };
  }

  const rows = await asApp(s.db, (tx) =>
    tx.execute<{ key_id: string; workspace_id: string; revoked: boolean }>(sql`select * from sandesh_api_key_lookup(${hash})`),
  );
  const row = rows[0];
  if (!row) throw unauthorized("The API key is not known");
  if (row.revoked) throw unauthorized("The API key has been revoked");
  await s.redis.set(cacheKey(hash), JSON.stringify({ k: row.key_id, w: row.workspace_id } satisfies Cached), { ex: CACHE_TTL_S, nx: true });
  return { keyId: row.key_id, workspaceId: row.workspace_id };
}
