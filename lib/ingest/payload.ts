import * as v from "valibot";

/**
 * The items of Meta's webhook Sandesh acts on, one schema per item: a status, an inbound
 * message, a contact profile. Loose on purpose (Meta adds fields without notice, and an
 * unknown field must never make us drop an event), but bounded: every value checked
 * here is one the database stores or indexes, so each is range- and length-checked
 * before it gets there (lib/ingest/validate.ts adds what applies to the whole item).
 * Messages are written here, never the received value: a poisoned value must not
 * reach a log or a stored problem list.
 */
export const MAX_ID = 256; // Meta's ids are ~60 characters; indexed columns refuse ~2,700 bytes
const MIN_UNIX_S = 946_684_800; // 2000-01-01
const MAX_UNIX_S = 4_102_444_800; // 2100-01-01
const INT4 = 2_147_483_647;

const text = (max: number) => v.pipe(v.string("must be a string"), v.maxLength(max, `must be at most ${max} characters`));
const id = v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"), v.maxLength(MAX_ID, `must be at most ${MAX_ID} characters`));
const unixSeconds = v.pipe(
  v.string("must be unix seconds as a string"),
  v.regex(/^\d{1,11}$/, "must be unix seconds"),
  v.check((s) => Number(s) >= MIN_UNIX_S && Number(s) <= MAX_UNIX_S, "must be a time between 2000 and 2100"),
);
const code = v.pipe(v.number("must be a number"), v.integer("must be a whole number"), v.minValue(-INT4 - 1, "is out of range"), v.maxValue(INT4, "is out of range"));
const object = <T extends v.ObjectEntries>(entries: T) => v.looseObject(entries, "must be an object");

const Status = object({
  id,
  status: text(32),
  timestamp: unixSeconds,
  recipient_id: v.optional(text(64)),
  // What the send named in its request; Meta caps it at 512 characters.
  biz_opaque_callback_data: v.optional(text(512)),
  conversation: v.optional(object({ id: v.optional(id) })),
  pricing: v.optional(object({})),
  errors: v.optional(
    v.array(
      object({ code: v.optional(code), title: v.optional(text(1024)), message: v.optional(text(1024)), error_data: v.optional(object({ details: v.optional(text(4096)) })) }),
      "must be a list",
    ),
  ),
});

const Inbound = object({
  from: v.pipe(v.string("must be a string"), v.regex(/^\d{5,20}$/, "must be a WhatsApp id (5 to 20 digits)")),
  id,
  timestamp: unixSeconds,
  type: text(64),
});

const Contact = object({ wa_id: v.optional(text(32)), profile: v.optional(object({ name: v.optional(text(256)) })) });

export const ITEM_SCHEMAS = { status: Status, message: Inbound, contact: Contact } as const;

export type MetaStatus = v.InferOutput<typeof Status>;
export type MetaInbound = v.InferOutput<typeof Inbound> & Record<string, unknown>;
export type MetaContact = v.InferOutput<typeof Contact>;

/** Validated timestamps are in range; the fallback is for rows stored before they were. */
export const fromUnixSeconds = (s: string) => {
  const n = Number(s);
  return Number.isFinite(n) && n > 0 && n < MAX_UNIX_S ? new Date(n * 1000) : new Date();
};
