import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { validationFailed } from "../errors.js";

/**
 * Attribute names in use across a workspace's contacts: each is a column of the export,
 * so their number is bounded. Checked when a write brings a name no contact uses yet
 * (a check, not a lock: concurrent writers may pass it together by a few names).
 */
export const MAX_WORKSPACE_ATTRIBUTES = 200;

/** The names in use, at most `MAX_WORKSPACE_ATTRIBUTES + 1` of them (more says "over"). */
export async function attributeNamesInUse(tx: Tx): Promise<Set<string>> {
  const rows = await tx.execute<{ key: string }>(sql`select distinct jsonb_object_keys(attributes) as key from contacts order by 1 limit ${MAX_WORKSPACE_ATTRIBUTES + 1}`);
  return new Set(rows.map((r) => r.key));
}

/** Why setting `keys` would take the workspace past the limit (naming the first name too many), or null. */
export function namesProblem(inUse: Set<string>, keys: string[]): { field: string; message: string } | null {
  const fresh = keys.filter((k) => !inUse.has(k));
  if (!fresh.length || inUse.size + fresh.length <= MAX_WORKSPACE_ATTRIBUTES) return null;
  const first = fresh[Math.max(0, MAX_WORKSPACE_ATTRIBUTES - inUse.size)]!;
  return { field: `attributes.${first}`, message: `the workspace's contacts already use ${inUse.size} attribute names; at most ${MAX_WORKSPACE_ATTRIBUTES} (remove one from every contact to use another)` };
}

/** 422 validation_failed naming the attribute when `keys` holds names that would take the workspace past the limit. */
export async function checkAttributeNames(tx: Tx, keys: string[]): Promise<void> {
  if (!keys.length) return;
  // The common case, names already in use, is answered without reading every contact.
  const fresh = await tx.execute<{ k: string }>(sql`
    select k.value as k from jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb) k where not exists (select 1 from contacts where jsonb_exists(attributes, k.value))`);
  if (!fresh.length) return;
  const problem = namesProblem(await attributeNamesInUse(tx), keys);
  if (problem) throw validationFailed([problem]);
}
