import { sql } from "drizzle-orm";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import type { Sealed } from "./vault.js";

/**
 * Every sealed column in the schema. A column is stored as <prefix>ciphertext,
 * <prefix>iv, <prefix>tag and <prefix>key_version; rotation walks this list.
 */
export const SEALED_FIELDS = [
  { table: "whatsapp_numbers", column: "token", prefix: "token_" },
  { table: "webhook_endpoint_secrets", column: "secret", prefix: "secret_" },
] as const;

export interface RotateProgress {
  table: string;
  workspaceId: string;
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
          const rows = await tx.execute<{ id: string; ct: Uint8Array; iv: Uint8Array; tag: Uint8Array; kv: number }>(
            sql`select id, ${c("ciphertext")} as ct, ${c("iv")} as iv, ${c("tag")} as tag, ${c("key_version")} as kv
                from ${t} where ${c("key_version")} <> ${current} limit 100 for update`,
          );
          for (const r of rows) {
            const ref = { table: field.table, column: field.column, rowId: r.id, workspaceId };
            const old: Sealed = { ciphertext: r.ct, iv: r.iv, tag: r.tag, keyVersion: r.kv };
            const next = await s.vault.seal(await s.vault.open(old, ref), ref);
            await tx.execute(sql`update ${t} set ${c("ciphertext")} = ${next.ciphertext}, ${c("iv")} = ${next.iv},
                ${c("tag")} = ${next.tag}, ${c("key_version")} = ${next.keyVersion}
                where id = ${r.id} and ${c("key_version")} = ${r.kv}`);
          }
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
