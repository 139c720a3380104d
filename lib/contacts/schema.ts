import * as v from "valibot";
import type { ContactAttributes } from "../../db/schema/index.js";
import type { contacts } from "../../db/schema/index.js";
import { phone } from "../permissions/phones.js";

/**
 * The contract of /v1/contacts. A contact is keyed by its WhatsApp id: the international
 * number as digits, the same rows inbound messages create. Attributes are one flat level
 * of strings and numbers; tags are labels (no `;`, which separates them in CSV).
 */
export const MAX_ATTRIBUTES = 50;
export const MAX_TAGS = 50;
/** Columns of the CSV import and export; an attribute may not take one of these names. */
export const RESERVED_COLUMNS = ["wa_id", "name", "tags", "opt_in", "opt_out"];

/** "+91 98123-45678", "(91) 9812345678", "919812345678" → "919812345678"; null if it is no phone number. */
export function normaliseWaId(input: string): string | null {
  const digits = input.trim().replace(/^\+/, "").replace(/[\s\-().]/g, "");
  return /^\d{7,15}$/.test(digits) ? digits : null;
}

export const waId = v.pipe(
  v.string("must be a phone number in international format"),
  v.transform(normaliseWaId),
  v.string("must be a phone number in international format, 7 to 15 digits (e.g. +919812345678)"),
);
const name = v.pipe(v.string("must be text"), v.trim(), v.maxLength(256, "must be at most 256 characters"));
const attributeKey = /^[A-Za-z0-9_][A-Za-z0-9_.\- ]{0,63}$/;
export function attributeProblem(key: string): string | null {
  if (!attributeKey.test(key)) return "names must be 1 to 64 letters, digits, spaces, _ . or -";
  if (RESERVED_COLUMNS.includes(key.toLowerCase())) return `must not use the reserved names ${RESERVED_COLUMNS.join(", ")}`;
  return null;
}
const attributeValue = v.union(
  [v.pipe(v.string(), v.maxLength(1024, "must be at most 1024 characters")), v.pipe(v.number(), v.finite())],
  "must be a string or a number (attributes are flat)",
);
const attributes = v.pipe(
  v.record(v.string(), attributeValue, "must be an object of strings and numbers"),
  v.check((o) => Object.keys(o).length <= MAX_ATTRIBUTES, `must have at most ${MAX_ATTRIBUTES} keys`),
  v.check((o) => Object.keys(o).every((k) => attributeProblem(k) === null), (i) => `keys ${attributeProblem(Object.keys(i.input as object).find((k) => attributeProblem(k))!)}`),
);
/** PATCH merges: a key set to null is removed. */
const attributePatch = v.pipe(
  v.record(v.string(), v.nullable(attributeValue), "must be an object of strings, numbers or null"),
  v.check((o) => Object.keys(o).every((k) => attributeProblem(k) === null), (i) => `keys ${attributeProblem(Object.keys(i.input as object).find((k) => attributeProblem(k))!)}`),
);
const tag = v.pipe(v.string("must be text"), v.trim(), v.regex(/^[^;\r\n]{1,64}$/, "must be 1 to 64 characters, without ; or line breaks"));
export const tags = v.pipe(
  v.array(tag, "must be a list of tags"),
  v.transform((list) => [...new Set(list)]),
  v.maxLength(MAX_TAGS, `must have at most ${MAX_TAGS} tags`),
);
export const SOURCE = /^[a-z0-9_]{1,64}$/;
/** Consent given or withdrawn elsewhere (a web form, a shop): when and how, as evidence. */
const consent = v.union(
  [
    v.literal(true),
    v.strictObject({
      at: v.optional(v.pipe(v.string(), v.isoTimestamp("must be an ISO 8601 timestamp with a time zone"))),
      source: v.optional(v.pipe(v.string(), v.regex(SOURCE, "must be 1 to 64 of a-z, 0-9 and _"))),
    }),
  ],
  "must be true or {at?, source?}",
);

const oneConsent = (o: { marketing_opt_in?: unknown; marketing_opt_out?: unknown }) => o.marketing_opt_in === undefined || o.marketing_opt_out === undefined;

export const CreateContact = v.pipe(
  v.strictObject({
    wa_id: waId,
    name: v.optional(v.nullable(name)),
    attributes: v.optional(attributes),
    tags: v.optional(tags),
    marketing_opt_in: v.optional(consent),
    marketing_opt_out: v.optional(consent),
  }),
  v.check((o) => oneConsent(o), "must not opt in and opt out at once"),
);
export const UpdateContact = v.pipe(
  v.strictObject({
    name: v.optional(v.nullable(name)),
    attributes: v.optional(attributePatch),
    tags: v.optional(tags),
    marketing_opt_in: v.optional(consent),
    marketing_opt_out: v.optional(consent),
  }),
  v.check((o) => Object.keys(o).length > 0, "must change at least one of name, attributes, tags, marketing_opt_in, marketing_opt_out"),
  v.check((o) => oneConsent(o), "must not opt in and opt out at once"),
);
export type CreateContactInput = v.InferOutput<typeof CreateContact>;
export type UpdateContactInput = v.InferOutput<typeof UpdateContact>;
export type ConsentInput = true | { at?: string | undefined; source?: string | undefined };

type Row = typeof contacts.$inferSelect;

export const contactView = (r: Row) => ({
  id: r.id,
  wa_id: phone(r.waId),
  name: r.name,
  profile_name: r.profileName,
  attributes: r.attributes as ContactAttributes,
  tags: r.tags,
  marketing_opt_in: r.marketingOptInAt ? { at: r.marketingOptInAt.toISOString(), source: r.marketingOptInSource } : null,
  marketing_opt_out: r.optedOutAt ? { at: r.optedOutAt.toISOString(), source: r.optedOutSource } : null,
  last_inbound_at: r.lastInboundAt?.toISOString() ?? null,
  created_at: r.createdAt.toISOString(),
  updated_at: r.updatedAt.toISOString(),
});
export type ContactView = ReturnType<typeof contactView>;
