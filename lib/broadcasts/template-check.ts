import { and, eq } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { messageTemplates, templateCatalogues, type TemplateCategory } from "../../db/schema/index.js";
import { AppError } from "../errors.js";
import { parameterMismatches } from "../templates/params.js";

/**
 * The template's pre-flight, before anything is scheduled. Once the number's WABA
 * catalogue has been synced, the template must be in it and APPROVED, and its category
 * is Meta's; before, the client's declared category is taken (marketing when none: the
 * cautious reading, which applies the opt-in rule). The parameter count must fit the
 * catalogue's template, as for a single send.
 */
export async function checkTemplate(tx: Tx, wabaId: string, t: { name: string; language: { code: string }; category?: TemplateCategory | undefined; components?: unknown[] | undefined }): Promise<TemplateCategory> {
  const [catalogue] = await tx.select({ wabaId: templateCatalogues.wabaId }).from(templateCatalogues).where(eq(templateCatalogues.wabaId, wabaId));
  if (!catalogue) return t.category ?? "MARKETING";
  const [row] = await tx
    .select({ status: messageTemplates.status, category: messageTemplates.category, components: messageTemplates.components })
    .from(messageTemplates)
    .where(and(eq(messageTemplates.wabaId, wabaId), eq(messageTemplates.name, t.name), eq(messageTemplates.language, t.language.code)));
  if (!row || row.status !== "APPROVED") {
    throw new AppError(422, "template_not_approved", row ? `Template ${t.name} (${t.language.code}) is ${row.status}, not APPROVED` : `Template ${t.name} (${t.language.code}) is not in this number's catalogue`, [{ field: "template.name", message: row ? `is ${row.status}` : "is not in the catalogue" }]);
  }
  // The same count the single-send pre-flight checks (lib/templates/params.ts): Meta's 132000, caught before scheduling.
  const mismatches = parameterMismatches(row.components, t.components ?? []);
  if (mismatches.length) {
    throw new AppError(422, "template_parameters_mismatch", `Template ${t.name} (${t.language.code}) needs other parameters: ${mismatches.map((m) => `${m.component} takes ${m.expected}, got ${m.given}`).join("; ")}`, mismatches);
  }
  const category = row.category as TemplateCategory | null;
  return category === "MARKETING" || category === "UTILITY" || category === "AUTHENTICATION" ? category : "MARKETING";
}
