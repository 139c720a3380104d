import { sql, type AnyColumn, type SQL } from "drizzle-orm";
import { validationFailed } from "./errors.js";
import { UUID_PATTERN } from "./ids.js";

/**
 * The opaque keyset cursor of every newest-first list: the last row's creation time and
 * id. Only what encodeCursor writes decodes: years 0000-9999 as toISOString spells them.
 * Anything else JavaScript accepts (year 275760, year -271821) PostgreSQL cannot compare with.
 */
export const encodeCursor = (at: Date, id: string) => btoa(`${at.toISOString()}|${id}`).replace(/=+$/, "");

export function decodeCursor(c: string): { at: Date; id: string } {
  try {
    const [at, id] = atob(c).split("|");
    const d = new Date(at!);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(at ?? "") || Number.isNaN(d.getTime()) || d.toISOString() !== at || !UUID_PATTERN.test(id ?? "")) throw new Error();
    return { at: d, id: id! };
  } catch {
    throw validationFailed([{ field: "cursor", message: "is invalid" }], "The cursor is not one this API returned");
  }
}

/**
 * The rows after a decoded cursor in newest-first order, as one row comparison:
 * `(created_at, id) < (at, id)`. Spelled as `created_at < at or (created_at = at and id < id)`
 * (the same rows) the bound could not be an index condition, so every page walked the
 * (workspace_id, created_at desc, id desc) index from the workspace's newest row: page k read
 * k pages. The row comparison bounds the scan, and its operators are leakproof, so
 * row-level security lets it do so.
 */
export const olderThan = (createdAt: AnyColumn, id: AnyColumn, c: { at: Date; id: string }): SQL => sql`(${createdAt}, ${id}) < (${c.at.toISOString()}, ${c.id})`;
