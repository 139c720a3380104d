import { desc } from "drizzle-orm";
import { apiKeys } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import type { Permission } from "../permissions/vocabulary.js";

export interface ApiKeyListing {
  id: string;
  name: string;
  /** The key's first characters: enough to tell keys apart, never enough to use one. */
  prefix: string;
  /** null: full access (lib/permissions). */
  scopes: Permission[] | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** A workspace's keys, newest first, revoked ones included (the listing is also their history). */
export async function listApiKeys(s: Services, workspaceId: string): Promise<ApiKeyListing[]> {
  const rows = await withTenant(s.db, workspaceId, (tx) =>
    tx
      .select({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, scopes: apiKeys.scopes, createdAt: apiKeys.createdAt, lastUsedAt: apiKeys.lastUsedAt, revokedAt: apiKeys.revokedAt })
      .from(apiKeys)
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)),
  );
  return rows.map((r) => ({ id: r.id, name: r.name, prefix: r.prefix, scopes: r.scopes as Permission[] | null, created_at: r.createdAt.toISOString(), last_used_at: r.lastUsedAt?.toISOString() ?? null, revoked_at: r.revokedAt?.toISOString() ?? null }));
}
