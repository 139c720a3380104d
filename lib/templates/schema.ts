import * as v from "valibot";
import type { messageTemplates } from "../../db/schema/index.js";
import { validationFailed } from "../errors.js";

/** The contract of /v1/templates. Components are Meta's own shape, forwarded as given. */
export const CATEGORIES = ["MARKETING", "UTILITY", "AUTHENTICATION"] as const;

export const TemplateName = v.pipe(v.string("must be text"), v.regex(/^[a-z0-9_]{1,512}$/, "must be lowercase letters, digits and underscores (at most 512)"));
export const WabaId = v.pipe(v.string("must be text"), v.regex(/^\d{1,32}$/, "must be Meta's numeric WABA id"));

export const CreateTemplate = v.strictObject({
  name: TemplateName,
  language: v.pipe(v.string("must be text"), v.regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, "must be a language code like en_US")),
  category: v.picklist(CATEGORIES, `must be one of ${CATEGORIES.join(", ")}`),
  components: v.pipe(v.array(v.looseObject({ type: v.string("must be text") }), "must be a list of components"), v.minLength(1, "must have at least one component"), v.maxLength(20, "must have at most 20 components")),
  waba_id: v.optional(WabaId),
});
export type CreateTemplateInput = v.InferOutput<typeof CreateTemplate>;

type Row = typeof messageTemplates.$inferSelect;

export const templateView = (r: Row) => ({
  id: r.id,
  waba_id: r.wabaId,
  meta_id: r.metaId,
  name: r.name,
  language: r.language,
  category: r.category,
  status: r.status,
  quality: r.quality,
  rejected_reason: r.rejectedReason,
  components: r.components,
  updated_at: r.updatedAt.toISOString(),
});

/** ?waba_id= where a route takes one. */
export function queryWabaId(raw: string | undefined): string | undefined {
  if (raw !== undefined && !/^\d{1,32}$/.test(raw)) throw validationFailed([{ field: "waba_id", message: "must be Meta's numeric WABA id" }], "The query is not valid");
  return raw;
}
