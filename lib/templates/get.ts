import { eq } from "drizzle-orm";
import { messageTemplates } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { notFound } from "../errors.js";
import { UUID_PATTERN } from "../ids.js";
import { templateView } from "./schema.js";

/** One template of the catalogue by its id; another workspace's is simply not found (RLS hides it). */
export async function getTemplate(s: Services, workspaceId: string, id: string) {
  if (!UUID_PATTERN.test(id)) throw notFound("Template");
  const [row] = await withTenant(s.db, workspaceId, (tx) => tx.select().from(messageTemplates).where(eq(messageTemplates.id, id)));
  if (!row) throw notFound("Template");
  return templateView(row);
}
