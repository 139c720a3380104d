import { and, count, desc, eq, isNotNull, isNull, lt, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { webhookEndpoints, webhookEndpointSecrets } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError, notFound } from "../errors.js";
import { UUID_PATTERN, uuidv7 } from "../ids.js";
import { actorSeesWholeNumbers } from "../permissions/actor.js";
import type { FieldRef } from "../vault/vault.js";
import type { EndpointChanges, EndpointInput } from "./schema.js";
import { generateSecret } from "./signing.js";

export type Actor = Pick<AuditEntry, "actorType" | "actorId" | "ip" | "userAgent">;
type Row = typeof webhookEndpoints.$inferSelect;
type SecretRow = typeof webhookEndpointSecrets.$inferSelect;

/** After a rotation the previous secret keeps signing this long, so receivers can switch. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

export const secretField = (rowId: string, workspaceId: string): FieldRef => ({ table: "webhook_endpoint_secrets", column: "secret", rowId, workspaceId });

export const endpointView = (r: Row) => ({
  id: r.id,
  url: r.url,
  description: r.description,
  events: r.events,
  format: r.format,
  enabled: r.enabled,
  disabled_reason: r.disabledReason,
  failing_since: r.failingSince?.toISOString() ?? null,
  /** Payloads carry masked phone numbers: its creator (or the last to change it) saw them masked. */
  masks_phones: r.masksPhones,
  created_at: r.createdAt.toISOString(),
  updated_at: r.updatedAt.toISOString(),
});

/** A new secret, sealed before it reaches the database; the plaintext goes back to the one caller. */
async function addSecret(s: Services, tx: Tx, endpoint: Row): Promise<string> {
  const secret = generateSecret();
  const id = crypto.randomUUID();
  const sealed = await s.vault.seal(secret, secretField(id, endpoint.workspaceId));
  await tx.insert(webhookEndpointSecrets).values({
    id,
    workspaceId: endpoint.workspaceId,
    endpointId: endpoint.id,
    secretCiphertext: sealed.ciphertext,
    secretIv: sealed.iv,
    secretTag: sealed.tag,
    secretKeyVersion: sealed.keyVersion,
    createdAt: s.clock.now(),
  });
  return secret;
}

/** Just in time, for one attempt: the secrets that sign now, newest first. */
export async function openSecrets(s: Services, rows: SecretRow[]): Promise<string[]> {
  const sorted = [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  return Promise.all(
    sorted.map((r) => s.vault.open({ ciphertext: r.secretCiphertext, iv: r.secretIv, tag: r.secretTag, keyVersion: r.secretKeyVersion }, secretField(r.id, r.workspaceId))),
  );
}

/** Another tenant's endpoint is simply not found: RLS hides it. */
async function lockEndpoint(tx: Tx, id: string): Promise<Row> {
  const [row] = UUID_PATTERN.test(id) ? await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).for("update") : [];
  if (!row) throw notFound("Webhook endpoint");
  return row;
}

const changed = (s: Services, workspaceId: string) => s.caches.webhookEndpoints.delete(workspaceId);

/**
 * Endpoints a workspace may have. Every event goes to each of them, so this bounds what
 * one tenant's events cost the delivery workers that every tenant shares.
 */
export const MAX_ENDPOINTS_PER_WORKSPACE = 20;

export async function createEndpoint(s: Services, workspaceId: string, input: EndpointInput, actor: Actor) {
  const now = s.clock.now();
  return withTenant(s.db, workspaceId, async (tx) => {
    // The workspace row, locked: concurrent creations are counted one after the other.
    await tx.execute(sql`select 1 from workspaces where id = ${workspaceId} for update`);
    const [{ n }] = (await tx.select({ n: count() }).from(webhookEndpoints)) as [{ n: number }];
    if (n >= MAX_ENDPOINTS_PER_WORKSPACE) {
      throw new AppError(422, "webhook_endpoint_limit_reached", `A workspace has at most ${MAX_ENDPOINTS_PER_WORKSPACE} webhook endpoints; delete one first`);
    }
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({
        id: uuidv7(now.getTime()),
        workspaceId,
        url: input.url,
        description: input.description,
        events: input.events,
        format: input.format,
        createdByType: actor.actorType === "system" ? "operator" : actor.actorType,
        createdById: actor.actorId ?? null,
        masksPhones: !(await actorSeesWholeNumbers(tx, workspaceId, actor)),
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const secret = await addSecret(s, tx, row!);
    await recordAudit(tx, { ...actor, workspaceId, action: "webhook_endpoint.created", objectType: "webhook_endpoint", objectId: row!.id, details: { url: input.url, events: input.events, format: input.format } });
    changed(s, workspaceId);
    return { ...endpointView(row!), secret };
  });
}

export async function listEndpoints(s: Services, workspaceId: string, page: { cursor: string | null; limit: number }) {
  const rows = await withTenant(s.db, workspaceId, (tx) =>
    tx.select().from(webhookEndpoints).where(page.cursor ? lt(webhookEndpoints.id, page.cursor) : undefined).orderBy(desc(webhookEndpoints.id)).limit(page.limit + 1),
  );
  const data = rows.slice(0, page.limit);
  return { data: data.map(endpointView), next_cursor: rows.length > page.limit ? data[data.length - 1]!.id : null };
}

export async function getEndpoint(s: Services, workspaceId: string, id: string) {
  const [row] = UUID_PATTERN.test(id) ? await withTenant(s.db, workspaceId, (tx) => tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id))) : [];
  if (!row) throw notFound("Webhook endpoint");
  return endpointView(row);
}

/** Enabling again, or a new URL, gives the endpoint a clean slate: no reason, no failing streak. */
export async function updateEndpoint(s: Services, workspaceId: string, id: string, changes: EndpointChanges, actor: Actor) {
  const now = s.clock.now();
  return withTenant(s.db, workspaceId, async (tx) => {
    const before = await lockEndpoint(tx, id);
    const toggled = changes.enabled !== undefined && changes.enabled !== before.enabled;
    const moved = changes.url !== undefined && changes.url !== before.url;
    // Someone shown masked numbers who changes an endpoint gets masked payloads there from now on:
    // pointing another's endpoint at a new URL must not reach whole numbers.
    const masks = before.masksPhones || !(await actorSeesWholeNumbers(tx, workspaceId, actor));
    const [row] = await tx
      .update(webhookEndpoints)
      .set({
        ...changes,
        masksPhones: masks,
        ...(toggled || moved ? { failingSince: null } : {}),
        ...(toggled ? { disabledReason: changes.enabled ? null : "Disabled through the API" } : {}),
        updatedAt: now,
      })
      .where(eq(webhookEndpoints.id, id))
      .returning();
    await recordAudit(tx, { ...actor, workspaceId, action: "webhook_endpoint.updated", objectType: "webhook_endpoint", objectId: id, details: { changes } });
    changed(s, workspaceId);
    return endpointView(row!);
  });
}

export async function deleteEndpoint(s: Services, workspaceId: string, id: string, actor: Actor): Promise<void> {
  await withTenant(s.db, workspaceId, async (tx) => {
    const before = await lockEndpoint(tx, id);
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    await recordAudit(tx, { ...actor, workspaceId, action: "webhook_endpoint.deleted", objectType: "webhook_endpoint", objectId: id, details: { url: before.url } });
    changed(s, workspaceId);
  });
}

/**
 * A new secret, shown once. The one it replaces keeps signing for ROTATION_OVERLAP_MS
 * (every delivery carries both signatures), so a receiver can switch without losing
 * an event; a secret already on its way out is retired now.
 */
export async function rotateSecret(s: Services, workspaceId: string, id: string, actor: Actor) {
  const now = s.clock.now();
  const expiresAt = new Date(now.getTime() + ROTATION_OVERLAP_MS);
  return withTenant(s.db, workspaceId, async (tx) => {
    const row = await lockEndpoint(tx, id);
    await tx.delete(webhookEndpointSecrets).where(and(eq(webhookEndpointSecrets.endpointId, id), isNotNull(webhookEndpointSecrets.expiresAt)));
    await tx.update(webhookEndpointSecrets).set({ expiresAt }).where(and(eq(webhookEndpointSecrets.endpointId, id), isNull(webhookEndpointSecrets.expiresAt)));
    const secret = await addSecret(s, tx, row);
    await recordAudit(tx, { ...actor, workspaceId, action: "webhook_endpoint.secret_rotated", objectType: "webhook_endpoint", objectId: id, details: { previous_secret_expires_at: expiresAt.toISOString() } });
    return { ...endpointView(row), secret, previous_secret_expires_at: expiresAt.toISOString() };
  });
}
