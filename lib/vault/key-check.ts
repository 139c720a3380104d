import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { AppError } from "../errors.js";
import { PERSON_SEALED_FIELDS, SEALED_FIELDS } from "./rotate.js";
import type { FieldRef, Sealed, Vault } from "./vault.js";

/**
 * A wrong MASTER_KEK is caught before anything is sealed or opened with it. Each key
 * version has one row in vault_key_checks: an HMAC of a constant under the key derived
 * from that version's KEK (lib/vault/vault.ts), never the key. Where a version has no
 * row yet, the owner's connection records it (`npm start`, `npm run admin -- migrate`
 * and the commands that seal), after opening one field already sealed under that
 * version if there is one, so a wrong key is never recorded over existing data.
 */
export const vaultMismatch = (problems: string[]) => new AppError(503, "vault_key_mismatch", problems.join("; "));

const mismatchLine = (vault: Vault, version: number) =>
  `${vault.variableFor(version)} does not match vault key version ${version}: it derives another key than the one that sealed this database's fields; set the right ${vault.variableFor(version)}`;

/** One line per configured key version whose check differs from the stored one; [] when all match or are not recorded yet. */
export async function vaultKeyProblems(db: Db, vault: Vault): Promise<string[]> {
  const rows = await db.execute<{ key_version: number; key_check: string }>(sql`select key_version, key_check from vault_key_checks`);
  const stored = new Map(rows.map((r) => [Number(r.key_version), r.key_check]));
  const problems: string[] = [];
  for (const version of vault.versions) {
    const check = stored.get(version);
    if (check !== undefined && check !== (await vault.keyCheck(version))) problems.push(mismatchLine(vault, version));
  }
  return problems;
}

/**
 * With the owner's connection (it reads every tenant's sealed fields): records the check
 * of each configured version not recorded yet, then answers the problems of all of them.
 */
export async function recordVaultKeys(ownerDb: Db, vault: Vault): Promise<string[]> {
  const rows = await ownerDb.execute<{ key_version: number }>(sql`select key_version from vault_key_checks`);
  const known = new Set(rows.map((r) => Number(r.key_version)));
  const problems: string[] = [];
  for (const version of vault.versions.filter((v) => !known.has(v))) {
    if (!(await opensSample(ownerDb, vault, version))) {
      problems.push(mismatchLine(vault, version));
      continue;
    }
    await ownerDb.execute(sql`insert into vault_key_checks (key_version, key_check) values (${version}, ${await vault.keyCheck(version)}) on conflict do nothing`);
  }
  return [...problems, ...(await vaultKeyProblems(ownerDb, vault))];
}

/** Throws the one-line refusal when any configured key does not match (the admin CLI's commands that seal or open). */
export async function requireVaultKeys(ownerDb: Db, vault: Vault): Promise<void> {
  const problems = await recordVaultKeys(ownerDb, vault);
  if (problems.length) throw vaultMismatch(problems);
}

/** Whether one field sealed under this version (if any) opens with the configured key. */
async function opensSample(ownerDb: Db, vault: Vault, version: number): Promise<boolean> {
  for (const f of SEALED_FIELDS) {
    const c = (name: string) => sql.identifier(f.prefix + name);
    const [r] = await ownerDb.execute<{ id: string; workspace_id: string; ct: Uint8Array; iv: Uint8Array; tag: Uint8Array }>(
      sql`select id, workspace_id, ${c("ciphertext")} as ct, ${c("iv")} as iv, ${c("tag")} as tag from ${sql.identifier(f.table)} where ${c("key_version")} = ${version} limit 1`,
    );
    if (!r) continue;
    return opens(vault, { ciphertext: r.ct, iv: r.iv, tag: r.tag, keyVersion: version }, { table: f.table, column: f.column, rowId: r.id, workspaceId: r.workspace_id });
  }
  for (const f of PERSON_SEALED_FIELDS) {
    const c = (name: string) => sql.identifier(f.prefix + name);
    const [r] = await ownerDb.execute<{ user_id: string; ct: Uint8Array; iv: Uint8Array; tag: Uint8Array }>(
      sql`select user_id, ${c("ciphertext")} as ct, ${c("iv")} as iv, ${c("tag")} as tag from ${sql.identifier(f.table)} where ${c("key_version")} = ${version} limit 1`,
    );
    if (!r) continue;
    return opens(vault, { ciphertext: r.ct, iv: r.iv, tag: r.tag, keyVersion: version }, { table: f.table, column: f.column, rowId: r.user_id, userId: r.user_id });
  }
  return true;
}

async function opens(vault: Vault, sealed: Sealed, field: FieldRef): Promise<boolean> {
  try {
    await vault.open(sealed, field);
    return true;
  } catch {
    return false;
  }
}
