import { sql } from "drizzle-orm";
import { withTenant, withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import type { Tx } from "../../db/client.js";
import type { FieldRef, Sealed } from "./vault.js";

/**
 * Every sealed column in the schema. A column is stored as <prefix>ciphertext,
 * <prefix>iv, <prefix>tag and <prefix>key_version; rotation walks this list.
 */
export const SEALED_FIELDS = [
  { table: "whatsapp_numbers", column: "token", prefix: "token_" },
  { table: "webhook_endpoint_secrets", column: "secret", prefix: "secret_" },
] as const;

/** Sealed columns of person-scoped tables: the row is keyed by user_id and sealed with the person as owner. */
export const PERSON_SEALED_FIELDS = [{ table: "user_totp", column: "secret", prefix: "secret_" }] as const;

type SealedRow = { ct: Uint8Array; iv: Uint8Array; tag: Uint8Array; kv: number };

/** One field of one row, opened under its version and sealed under the current one, unless someone re-sealed it meanwhile. */
async function reseal(s: Services, tx: Tx, field: { table: string; prefix: string }, r: SealedRow, ref: FieldRef, [keyColumn, key]: [string, string]): Promise<void> {
  const c = (name: string) => sql.identifier(field.prefix + name);
  const old: Sealed = { ciphertext: r.ct, iv: r.iv, tag: r.tag, keyVersion: r.kv };
  const next = await s.vault.seal(await s.vault.open(old, ref), ref);
  await tx.execute(sql`update ${sql.identifier(field.table)} set ${c("ciphertext")} = ${next.ciphertext}, ${c("iv")} = ${next.iv},
      ${c("tag")} = ${next.tag}, ${c("key_version")} = ${next.keyVersion}
      where ${sql.identifier(keyColumn)} = ${key} and ${c("key_version")} = ${r.kv}`);
}

export interface RotateProgress {
  table: string;
  /** The tenant whose rows were re-sealed, or, for a person-scoped table, the person. */
  workspaceId?: string;
  userId?: string;
  rotated: number;
}

/**
 * Re-seals every field under the current key version, one tenant at a time, in small
 * transactions. Readers keep working throughout: old versions stay readable until
 * their row is rewritten, and each update is conditional on the version it read.
 */
export async function rotateVault(s: Services, workspaceIds: string[], onProgress?: (p: RotateProgress) => void): Promise<{ rotated: number }> {
  const current = s.vault.currentVersion;
  let rotated = 0;
  for (const field of SEALED_FIELDS) {
    const t = sql.identifier(field.table);
    const c = (name: string) => sql.identifier(field.prefix + name);
    for (const workspaceId of workspaceIds) {
      let n = 0;
      for (;;) {
        const done = await withTenant(s.db, workspaceId, async (tx) => {
          const rows = await tx.execute<SealedRow & { id: string }>(
            sql`select id, ${c("ciphertext")} as ct, ${c("iv")} as iv, ${c("tag")} as tag, ${c("key_version")} as kv
                from ${t} where ${c("key_version")} <> ${current} limit 100 for update`,
          );
          for (const r of rows) await reseal(s, tx, field, r, { table: field.table, column: field.column, rowId: r.id, workspaceId }, ["id", r.id]);
          return rows.length;
        });
        n += done;
        if (done < 100) break;
      }
      rotated += n;
      if (n) onProgress?.({ table: field.table, workspaceId, rotated: n });
    }
  }
  return { rotated };
}

/** As rotateVault, for the person-scoped sealed fields: one person per transaction. */
export async function rotatePersonFields(s: Services, userIds: string[], onProgress?: (p: RotateProgress) => void): Promise<{ rotated: number }> {
  const current = s.vault.currentVersion;
  let rotated = 0;
  for (const field of PERSON_SEALED_FIELDS) {
    const t = sql.identifier(field.table);
    const c = (name: string) => sql.identifier(field.prefix + name);
    for (const userId of userIds) {
      const n = await withUser(s.db, userId, async (tx) => {
        const rows = await tx.execute<SealedRow>(
          sql`select ${c("ciphertext")} as ct, ${c("iv")} as iv, ${c("tag")} as tag, ${c("key_version")} as kv
              from ${t} where user_id = ${userId} and ${c("key_version")} <> ${current} for update`,
        );
        for (const r of rows) await reseal(s, tx, field, r, { table: field.table, column: field.column, rowId: userId, userId }, ["user_id", userId]);
        return rows.length;
      });
      rotated += n;
      if (n) onProgress?.({ table: field.table, userId, rotated: n });
    }
  }
  return { rotated };
}
