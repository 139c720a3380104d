import { and, asc, eq, type SQL } from "drizzle-orm";
import { messageTemplates } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { validationFailed } from "../errors.js";
import type { FieldError } from "../storable.js";
import { templateView } from "./schema.js";

export interface TemplateQuery {
  waba_id?: string | undefined;
  name?: string | undefined;
  status?: string | undefined;
  category?: string | undefined;
}

/** GET /v1/templates?waba_id=&name=&status=&category=: the catalogue, by name then language. */
export async function listTemplates(s: Services, workspaceId: string, q: TemplateQuery) {
  const errors: FieldError[] = [];
  if (q.waba_id !== undefined && !/^\d{1,32}$/.test(q.waba_id)) errors.push({ field: "waba_id", message: "must be Meta's numeric WABA id" });
  if (q.name !== undefined && !/^[a-z0-9_]{1,512}$/.test(q.name)) errors.push({ field: "name", message: "must be a template name" });
  for (const f of ["status", "category"] as const) if (q[f] !== undefined && !/^[A-Z_]{1,32}$/.test(q[f]!)) errors.push({ field: f, message: "must be one of Meta's words, in capitals" });
  if (errors.length) throw validationFailed(errors, "The query is not valid");
  const where: SQL[] = [];
  if (q.waba_id) where.push(eq(messageTemplates.wabaId, q.waba_id));
  if (q.name) where.push(eq(messageTemplates.name, q.name));
  if (q.status) where.push(eq(messageTemplates.status, q.status));
  if (q.category) where.push(eq(messageTemplates.category, q.category));
  const rows = await withTenant(s.db, workspaceId, (tx) =>
    tx.select().from(messageTemplates).where(where.length ? and(...where) : undefined).orderBy(asc(messageTemplates.name), asc(messageTemplates.language)),
  );
  return { data: rows.map(templateView) };
}
