import { and, eq, isNull } from "drizzle-orm";
import { apiKeys } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";
import { notFound } from "../errors.js";
import { liveKey, revocationKey, TOMBSTONE_TTL_S } from "./auth.js";
import { generateApiKey } from "./format.js";
import { parseScopes } from "../permissions/scopes.js";
import type { Permission } from "../permissions/vocabulary.js";

type Actor = Pick<AuditEntry, "actorType" | "actorId" | "ip" | "userAgent">;

export interface CreatedKey {
  id: string;
  workspaceId: string;
  name: string;
  prefix: string;
  /** The only time the key exists outside its owner's hands. */
  key: string;
  /** null: full access. */
  scopes: Permission[] | null;
  createdAt: Date;
}

/**
 * A new key. `scopes` omitted: full access (every scope a key can hold, as keys always
 * had); given: exactly those, checked against the vocabulary (422 otherwise).
 */
export async function createApiKey(s: Services, workspaceId: string, name: string, actor: Actor, opts: { scopes?: readonly string[] } = {}): Promise<CreatedKey> {
  const scopes = opts.scopes === undefined ? null : parseScopes(opts.scopes);
  const k = await generateApiKey();
  return withTenant(s.db, workspaceId, async (tx) => {
    const [row] = await tx.insert(apiKeys).values({ workspaceId, name, prefix: k.prefix, keyHash: k.hash, scopes }).returning();
    await recordAudit(tx, { ...actor, workspaceId, action: "api_key.created", objectType: "api_key", objectId: row!.id, details: { name, prefix: k.prefix, scopes } });
    return { id: row!.id, workspaceId, name, prefix: k.prefix, key: k.key, scopes, createdAt: row!.createdAt };
  });
}

/**
 * The tombstone is written and the live marker removed before the revocation commits:
 * from that moment every process refuses the key, and if Redis cannot be reached the
 * revocation fails loudly instead of leaving a cached key alive. Should Redis later lose
 * the tombstone, the marker is gone with it and the database's revoked_at answers.
 */
export async function revokeApiKey(s: Services, workspaceId: string, keyId: string, actor: Actor): Promise<{ alreadyRevoked: boolean }> {
  return withTenant(s.db, workspaceId, async (tx) => {
    const [row] = await tx.select({ id: apiKeys.id, revokedAt: apiKeys.revokedAt }).from(apiKeys).where(eq(apiKeys.id, keyId)).for("update");
    if (!row) throw notFound("API key");
    await s.redis.set(revocationKey(workspaceId, keyId), "1", { ex: TOMBSTONE_TTL_S });
    await s.redis.del(liveKey(workspaceId, keyId));
    // Revoking again changes nothing and records nothing; the tombstone is renewed all the same.
    if (row.revokedAt) return { alreadyRevoked: true };
    await tx.update(apiKeys).set({ revokedAt: s.clock.now() }).where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)));
    await recordAudit(tx, { ...actor, workspaceId, action: "api_key.revoked", objectType: "api_key", objectId: keyId });
    return { alreadyRevoked: false };
  });
}
