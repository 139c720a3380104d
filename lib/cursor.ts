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
