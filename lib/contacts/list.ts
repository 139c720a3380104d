import { and, arrayContains, desc, ilike, isNotNull, isNull, or, sql, type SQL } from "drizzle-orm";
import { contacts } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { decodeCursor, encodeCursor, olderThan } from "../cursor.js";
import { validationFailed } from "../errors.js";
import type { FieldError } from "../storable.js";
import { textProblem } from "../storable.js";
import { contactView } from "./schema.js";

export interface ContactQuery {
  tag?: string | undefined;
  q?: string | undefined;
  opted_in?: string | undefined;
  cursor?: string | undefined;
  limit?: string | undefined;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * GET /v1/contacts?tag=&q=&opted_in=&cursor=&limit=: newest first, keyset-paginated with
 * the tracker's cursor. `q` matches the start of the number or any part of either name;
 * `opted_in=true` is who may receive marketing now.
 */
export async function listContacts(s: Services, workspaceId: string, query: ContactQuery) {
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  const errors: FieldError[] = [];
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) errors.push({ field: "limit", message: "must be a whole number from 1 to 200" });
  if (query.opted_in !== undefined && query.opted_in !== "true" && query.opted_in !== "false") errors.push({ field: "opted_in", message: "must be true or false" });
  for (const f of ["tag", "q"] as const) {
    const value = query[f];
    if (value === undefined) continue;
    const why = textProblem(value) ?? (value.length > 256 ? "must be at most 256 characters" : null);
    if (why) errors.push({ field: f, message: why });
  }
  if (errors.length) throw validationFailed(errors, "The query is not valid");

  const where: SQL[] = [];
  if (query.tag) where.push(arrayContains(contacts.tags, [query.tag.trim()]));
  if (query.opted_in === "true") where.push(isNotNull(contacts.marketingOptInAt));
  if (query.opted_in === "false") where.push(isNull(contacts.marketingOptInAt));
  if (query.q) {
    const q = query.q.trim();
    const digits = q.replace(/^\+/, "").replace(/[\s\-().]/g, "");
    const like = `%${likeEscape(q)}%`;
    where.push(or(ilike(contacts.name, like), ilike(contacts.profileName, like), ...(/^\d+$/.test(digits) ? [sql`${contacts.waId} like ${likeEscape(digits) + "%"}`] : []))!);
  }
  if (query.cursor) {
    const c = decodeCursor(query.cursor);
    where.push(olderThan(contacts.createdAt, contacts.id, c));
  }
  const rows = await withTenant(s.db, workspaceId, (tx) =>
    tx.select().from(contacts).where(where.length ? and(...where) : undefined).orderBy(desc(contacts.createdAt), desc(contacts.id)).limit(limit + 1),
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { data: page.map(contactView), next_cursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
}
