import * as v from "valibot";
import { storableProblems, type FieldError } from "../storable.js";

/**
 * POST /v1/messages accepts the Cloud API's own message shape, so a business can move
 * an existing integration over by changing the URL. `from` picks the sender number.
 */
const E164_DIGITS = /^\+?[1-9]\d{6,14}$/;
const httpsUrl = v.pipe(v.string(), v.url("must be a URL"), v.startsWith("https://", "must be an https URL"));
const text = (max: number) => v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(max, `must be at most ${max} characters`));

const media = (extra: v.ObjectEntries = {}) =>
  v.union(
    [
      v.object({ id: text(128), caption: v.optional(text(1024)), ...extra }),
      v.object({ link: httpsUrl, caption: v.optional(text(1024)), ...extra }),
    ],
    "needs either a media id or an https link",
  );

const CATEGORIES = ["MARKETING", "UTILITY", "AUTHENTICATION"] as const;

const template = v.object({
  name: v.pipe(text(512), v.regex(/^[a-z0-9_]+$/, "must be a template name (lowercase, digits, underscores)")),
  language: v.object({ code: v.pipe(text(15), v.regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, "must be a language code like en_US")), policy: v.optional(v.literal("deterministic")) }),
  components: v.optional(v.pipe(v.array(v.looseObject({ type: text(32) })), v.maxLength(20, "must have at most 20 components"))),
  /** Sandesh's own hint for pre-flight checks; stripped before the send. */
  category: v.optional(v.picklist(CATEGORIES, `must be one of ${CATEGORIES.join(", ")}`)),
});

const base = {
  to: v.pipe(v.string(), v.regex(E164_DIGITS, "must be a phone number in international format: digits, optional leading +, 7 to 15 digits")),
  from: v.optional(v.pipe(v.string(), v.regex(/^\d{1,32}$/, "must be a connected phone-number id"))),
  context: v.optional(v.object({ message_id: text(256) })),
  messaging_product: v.optional(v.literal("whatsapp")),
  recipient_type: v.optional(v.literal("individual")),
  /** Echoed by Meta on every status; Sandesh wraps its own mark around it (lib/meta/tag.ts). */
  biz_opaque_callback_data: v.optional(v.pipe(v.string(), v.maxLength(512, "must be at most 512 characters"))),
};

const TYPES = ["text", "template", "image", "document", "audio", "video", "sticker", "interactive", "location", "reaction"] as const;

export const SendMessageSchema = v.variant(
  "type",
  [
    v.object({ ...base, type: v.literal("text"), text: v.object({ body: text(4096), preview_url: v.optional(v.boolean()) }) }),
    v.object({ ...base, type: v.literal("template"), template }),
    v.object({ ...base, type: v.literal("image"), image: media() }),
    v.object({ ...base, type: v.literal("document"), document: media({ filename: v.optional(text(240)) }) }),
    v.object({ ...base, type: v.literal("audio"), audio: media() }),
    v.object({ ...base, type: v.literal("video"), video: media() }),
    v.object({ ...base, type: v.literal("sticker"), sticker: media() }),
    v.object({ ...base, type: v.literal("interactive"), interactive: v.looseObject({ type: v.picklist(["button", "list", "cta_url", "flow", "product", "product_list", "location_request_message"]), action: v.looseObject({}) }) }),
    v.object({ ...base, type: v.literal("location"), location: v.object({ latitude: v.pipe(v.number(), v.minValue(-90, "must be from -90 to 90"), v.maxValue(90, "must be from -90 to 90")), longitude: v.pipe(v.number(), v.minValue(-180, "must be from -180 to 180"), v.maxValue(180, "must be from -180 to 180")), name: v.optional(text(1000)), address: v.optional(text(1000)) }) }),
    v.object({ ...base, type: v.literal("reaction"), reaction: v.object({ message_id: text(256), emoji: v.pipe(v.string(), v.maxLength(16, "must be at most 16 characters")) }) }),
  ],
  `must be one of: ${TYPES.join(", ")}`,
);

/** Checked on its own when `type` is missing or unknown: the variant then reports nothing else. */
const Base = v.looseObject(base);

export type SendMessageInput = v.InferOutput<typeof SendMessageSchema>;

export type { FieldError };

const KINDS: Record<string, string> = { string: "a string", number: "a number", boolean: "true or false", object: "an object", array: "an array", loose_object: "an object" };

/** A user reads the message: the validator's own wording ("Invalid type: Expected …") never reaches them. */
function say(i: v.BaseIssue<unknown>): string {
  if (i.kind === "schema" && i.received === "undefined") return "is required";
  if (i.kind === "schema" && i.message.startsWith("Invalid type:")) {
    if (KINDS[i.type]) return `must be ${KINDS[i.type]}`;
    const values = (i.expected ?? "").replace(/^\(|\)$/g, "").split(" | ").map((x) => x.replace(/^"|"$/g, ""));
    return values.length > 1 ? `must be one of ${values.join(", ")}` : `must be ${values[0]}`;
  }
  return i.message;
}

const fieldOf = (i: v.BaseIssue<unknown>) => i.path?.map((p) => String(p.key)).join(".") || "body";

export function parseSendMessage(body: unknown): { ok: true; value: SendMessageInput } | { ok: false; errors: FieldError[] } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, errors: [{ field: "body", message: "must be a JSON object" }] };
  const unstorable = storableProblems(body);
  if (unstorable.length) return { ok: false, errors: unstorable };
  const r = v.safeParse(SendMessageSchema, body, { abortPipeEarly: true });
  if (r.success) return { ok: true, value: r.output };
  let errors = r.issues.map((i) => ({ field: fieldOf(i), message: say(i) }));
  if (errors.some((e) => e.field === "type")) {
    // Without a known type the variant checks nothing else: check the common fields too, and
    // say where the content goes, so one answer names everything that is missing.
    const b = v.safeParse(Base, body, { abortPipeEarly: true });
    const extra = b.success ? [] : b.issues.map((i) => ({ field: fieldOf(i), message: say(i) }));
    const typeMessage = `${"type" in body ? "must be" : "is required:"} one of ${TYPES.join(", ")}, with the content in the field of that name (e.g. "type": "text", "text": {"body": "…"})`;
    errors = [...extra, ...errors.map((e) => (e.field === "type" ? { ...e, message: typeMessage } : e))];
  }
  // One line per field: a union reports every branch, the first is the useful one.
  const seen = new Set<string>();
  return { ok: false, errors: errors.filter((e) => (seen.has(e.field) ? false : (seen.add(e.field), true))) };
}

/** What goes to Meta: the payload without Sandesh's own fields, `to` as digits. */
export function toMetaBody(m: SendMessageInput): Record<string, unknown> {
  const { from: _from, messaging_product: _mp, recipient_type: _rt, ...rest } = m;
  const out: Record<string, unknown> = { ...rest, to: m.to.replace(/^\+/, "") };
  if (m.type === "template") {
    const { category: _c, ...tpl } = m.template;
    out.template = tpl;
  }
  return out;
}
