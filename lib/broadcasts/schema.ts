import * as v from "valibot";
import type { broadcasts } from "../../db/schema/index.js";

/** The contract of POST /v1/broadcasts. */
export const MAX_CONTACT_IDS = 10_000;

const audience = v.union(
  [
    v.strictObject({ tag: v.pipe(v.string("must be text"), v.trim(), v.regex(/^[^;\r\n]{1,64}$/, "must be 1 to 64 characters, without ; or line breaks")) }),
    v.strictObject({
      contact_ids: v.pipe(
        v.array(v.pipe(v.string(), v.uuid("must be contact ids")), "must be a list of contact ids"),
        v.minLength(1, "must name at least one contact"),
        v.maxLength(MAX_CONTACT_IDS, `must name at most ${MAX_CONTACT_IDS} contacts (use a tag for more)`),
        v.transform((ids) => [...new Set(ids.map((i) => i.toLowerCase()))]),
      ),
    }),
    v.strictObject({ all: v.literal(true, "must be true") }),
  ],
  "must be one of {tag}, {contact_ids} or {all: true}",
);

export const CreateBroadcast = v.strictObject({
  name: v.pipe(v.string("must be text"), v.trim(), v.minLength(1, "is required"), v.maxLength(256, "must be at most 256 characters")),
  from: v.optional(v.pipe(v.string(), v.regex(/^\d{1,32}$/, "must be a connected phone-number id"))),
  template: v.object({
    name: v.pipe(v.string("must be text"), v.minLength(1, "is required"), v.maxLength(512, "must be at most 512 characters")),
    language: v.object({ code: v.pipe(v.string("must be text"), v.regex(/^[A-Za-z_]{2,16}$/, "must be a language code like en_US")) }),
    // The client's word where no catalogue says otherwise; Meta's catalogue wins when synced.
    category: v.optional(v.picklist(["MARKETING", "UTILITY", "AUTHENTICATION"], "must be MARKETING, UTILITY or AUTHENTICATION")),
    components: v.optional(v.pipe(v.array(v.record(v.string(), v.unknown()), "must be a list of components"), v.maxLength(20, "must have at most 20 components"))),
  }),
  audience,
  send_at: v.optional(v.pipe(v.string(), v.isoTimestamp("must be an ISO 8601 timestamp with a time zone"))),
});
export type CreateBroadcastInput = v.InferOutput<typeof CreateBroadcast>;

export type BroadcastRow = typeof broadcasts.$inferSelect;

/** The broadcast as the API shows it (counts are added by GET). */
export function broadcastView(b: BroadcastRow) {
  return {
    id: b.id,
    name: b.name,
    status: b.status,
    template: b.template,
    category: b.category,
    audience: b.audience,
    send_at: b.sendAt.toISOString(),
    started_at: b.startedAt?.toISOString() ?? null,
    finished_at: b.finishedAt?.toISOString() ?? null,
    created_at: b.createdAt.toISOString(),
  };
}
