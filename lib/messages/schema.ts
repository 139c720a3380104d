import * as v from "valibot";
import { storableProblems, type FieldError } from "../storable.js";
import { recipientOf, type Recipient } from "./recipient.js";

/**
 * POST /v1/messages (and the Graph-compatible route) take the Cloud API's own message
 * shape. Sandesh checks only what it decides on: the recipient, the type, a template's
 * name and language, sizes, and its own fields (`from`, `template.category`). Every
 * object is loose and the body is forwarded as sent (lib/messages/forward.ts): Meta adds
 * fields and kinds faster than a schema here could follow, and a field dropped is a
 * message changed. `null` stands for "absent" wherever a field is optional, as at Graph.
 */
const text = (max: number) => v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(max, `must be at most ${max} characters`));
const opt = <T extends v.GenericSchema>(s: T) => v.nullish(s);
const loose = v.looseObject;

/** Meta fetches media over http or https. */
const mediaUrl = v.pipe(v.string(), v.url("must be a URL"), v.regex(/^https?:\/\//i, "must be an http or https URL"));

/** Exactly one source: Meta refuses a media object with both, or neither. */
const media = (extra: v.ObjectEntries = {}) =>
  v.pipe(
    loose({ id: opt(text(128)), link: opt(mediaUrl), caption: opt(text(1024)), ...extra }),
    v.check((m) => (m.id != null) !== (m.link != null), "needs exactly one of id (an uploaded media id) or link (an http or https URL), not both"),
  );

/** A number, or a numeric string (Graph coerces one), within range. */
const coordinate = (limit: number) =>
  v.pipe(
    v.union([v.number(), v.pipe(v.string(), v.regex(/^\s*-?\d+(\.\d+)?\s*$/))], "must be a number"),
    v.check((x) => Math.abs(Number(x)) <= limit, `must be from -${limit} to ${limit}`),
  );

const CATEGORIES = ["MARKETING", "UTILITY", "AUTHENTICATION"] as const;

const template = loose({
  name: v.pipe(text(512), v.regex(/^[a-z0-9_]+$/, "must be a template name (lowercase, digits, underscores)")),
  language: loose({ code: v.pipe(text(15), v.regex(/^[a-z]{2,3}(_[A-Z]{2,3})?$/, "must be a language code like en_US")), policy: opt(v.literal("deterministic")) }),
  // Any component type, in any case: header, BODY, button, carousel, limited_time_offer …
  components: opt(v.pipe(v.array(loose({ type: text(64) })), v.maxLength(20, "must have at most 20 components"))),
  /** Sandesh's own hint for pre-flight checks; removed before the send. */
  category: opt(v.picklist(CATEGORIES, `must be one of ${CATEGORIES.join(", ")}`)),
});

/** Every interactive kind Meta documents, and those it adds later: the kind is Meta's to judge. */
const interactive = loose({ type: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]{0,63}$/, "must be an interactive type such as button, list, cta_url, flow, carousel")) });

const base = {
  // The recipient fields are judged together (lib/messages/recipient.ts).
  to: opt(v.string()),
  recipient: opt(v.string()),
  recipient_type: opt(v.picklist(["individual", "group"])),
  from: v.optional(v.pipe(v.string(), v.regex(/^\d{1,32}$/, "must be a connected phone-number id"))),
  context: opt(loose({ message_id: text(256) })),
  messaging_product: opt(v.literal("whatsapp")),
  /** Echoed by Meta on every status; Sandesh wraps its own mark around it (lib/meta/tag.ts). */
  biz_opaque_callback_data: opt(v.pipe(v.string(), v.maxLength(512, "must be at most 512 characters"))),
  recipient_identity_key_hash: opt(text(256)),
};

export const TYPES = ["text", "template", "image", "document", "audio", "video", "sticker", "interactive", "location", "contacts", "reaction"] as const;

export const SendMessageSchema = v.variant(
  "type",
  [
    loose({ ...base, type: v.literal("text"), text: loose({ body: text(4096), preview_url: opt(v.boolean()) }) }),
    loose({ ...base, type: v.literal("template"), template }),
    loose({ ...base, type: v.literal("image"), image: media() }),
    loose({ ...base, type: v.literal("document"), document: media({ filename: opt(text(240)) }) }),
    loose({ ...base, type: v.literal("audio"), audio: media({ voice: opt(v.boolean()) }) }),
    loose({ ...base, type: v.literal("video"), video: media() }),
    loose({ ...base, type: v.literal("sticker"), sticker: media() }),
    loose({ ...base, type: v.literal("interactive"), interactive }),
    loose({ ...base, type: v.literal("location"), location: loose({ latitude: coordinate(90), longitude: coordinate(180), name: opt(text(1000)), address: opt(text(1000)) }) }),
    loose({ ...base, type: v.literal("contacts"), contacts: v.pipe(v.array(loose({})), v.minLength(1, "must list at least one contact"), v.maxLength(257, "must list at most 257 contacts")) }),
    loose({ ...base, type: v.literal("reaction"), reaction: loose({ message_id: text(256), emoji: v.pipe(v.string(), v.maxLength(32, "must be at most 32 characters")) }) }),
  ],
  `must be one of: ${TYPES.join(", ")}`,
);

/** Mark as read, with a typing indicator or not: not a message, and never tracked as one. */
export const ReadReceiptSchema = loose({
  messaging_product: opt(v.literal("whatsapp")),
  status: v.literal("read"),
  message_id: text(256),
  typing_indicator: opt(loose({ type: text(32) })),
  from: base.from,
});

/** Checked on its own when `type` is unknown: the variant then reports nothing else. */
const Base = loose(base);

type Json = Record<string, unknown>;

export interface SendMessageInput {
  /** The body exactly as the client sent it (Sandesh's own fields included). */
  body: Json;
  type: (typeof TYPES)[number];
  recipient: Recipient;
  from: string | undefined;
  category: (typeof CATEGORIES)[number] | null;
}

export interface ReadReceiptInput {
  body: Json;
  messageId: string;
  from: string | undefined;
}

export type ParsedSend = { ok: true; kind: "message"; value: SendMessageInput } | { ok: true; kind: "read"; value: ReadReceiptInput } | { ok: false; errors: FieldError[] };

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
const issues = (r: { issues?: v.BaseIssue<unknown>[] }) => (r.issues ?? []).map((i) => ({ field: fieldOf(i), message: say(i) }));

export function parseSendMessage(body: unknown): ParsedSend {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, errors: [{ field: "body", message: "must be a JSON object" }] };
  const unstorable = storableProblems(body);
  if (unstorable.length) return { ok: false, errors: unstorable };
  const json = body as Json;
  if (json.status != null && json.type == null) return parseReadReceipt(json);

  // No type is a text message, as at Meta.
  const typed = json.type == null ? { ...json, type: "text" } : json;
  const r = v.safeParse(SendMessageSchema, typed, { abortPipeEarly: true });
  const who = recipientOf(json);
  let errors = [...(who.ok ? [] : [who.error]), ...(r.success ? [] : issues(r))];
  if (r.success && who.ok && !errors.length) {
    const type = r.output.type;
    const category = type === "template" ? ((r.output as { template: { category?: SendMessageInput["category"] } }).template.category ?? null) : null;
    return { ok: true, kind: "message", value: { body: json, type, recipient: who.value, from: r.output.from, category } };
  }
  if (errors.some((e) => e.field === "type")) {
    // Without a known type the variant checks nothing else: check the common fields too, and
    // say where the content goes, so one answer names everything that is wrong.
    const extra = issues(v.safeParse(Base, json, { abortPipeEarly: true }));
    const typeMessage = `must be one of ${TYPES.join(", ")}, with the content in the field of that name (e.g. "type": "text", "text": {"body": "…"})`;
    errors = [...errors.filter((e) => e.field !== "type"), ...extra, ...errors.filter((e) => e.field === "type").map((e) => ({ ...e, message: typeMessage }))];
  }
  return { ok: false, errors: onePerField(errors) };
}

function parseReadReceipt(json: Json): ParsedSend {
  const r = v.safeParse(ReadReceiptSchema, json, { abortPipeEarly: true });
  if (!r.success) return { ok: false, errors: onePerField(issues(r)) };
  return { ok: true, kind: "read", value: { body: json, messageId: r.output.message_id, from: r.output.from } };
}

/** One line per field: a union reports every branch, the first is the useful one. */
function onePerField(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => (seen.has(e.field) ? false : (seen.add(e.field), true)));
}
