import { invalidParam, requiredParam } from "./graph-errors.js";

/**
 * The send body checks Meta makes before accepting a message, answered the way Graph
 * answers them (code 100). Strict where a real send would fail, loose about fields
 * Meta ignores, so a body the sandbox accepts is a body Meta would accept.
 */
export const MESSAGE_TYPES = ["text", "template", "image", "document", "audio", "video", "sticker", "interactive", "location", "contacts", "reaction"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface ValidSend {
  /** `to` (or `recipient`) exactly as given: Meta echoes it as `contacts[0].input`. */
  input: string;
  /** Who it went to: a phone number's digits (Meta's `wa_id`), a group id, or a business-scoped user id. */
  waId: string;
  recipientKind: "phone" | "group" | "user";
  type: MessageType;
  body: Record<string, unknown>;
  templateName?: string;
  bizOpaqueCallbackData?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isUrl = (v: unknown) => typeof v === "string" && /^https?:\/\/[^\s]+$/i.test(v);
/** Graph reads an optional field sent as null as absent. */
const given = (v: unknown) => v !== undefined && v !== null;

/** A required field; `parent` names where it sits, as Graph does: "template['name']". */
function need(o: Obj, key: string, parent?: string): unknown {
  if (o[key] === undefined || o[key] === null || o[key] === "") throw requiredParam(parent ? `${parent}['${key}']` : key);
  return o[key];
}

function media(type: string, m: Obj) {
  const hasId = given(m.id), hasLink = given(m.link);
  if (hasId === hasLink) throw invalidParam(`Param ${type} must have exactly one of 'id' or 'link'`);
  if (hasId && !isStr(m.id)) throw invalidParam(`Param ${type}['id'] must be a media id string`);
  if (hasLink && !isUrl(m.link)) throw invalidParam(`Param ${type}['link'] is not a valid URL`);
  if ((type === "audio" || type === "sticker") && given(m.caption)) throw invalidParam(`Param ${type}['caption'] is not supported for ${type}`);
  if (given(m.caption) && (typeof m.caption !== "string" || m.caption.length > 1024)) throw invalidParam(`Param ${type}['caption'] must be a string of at most 1024 characters`);
  if (given(m.voice) && (type !== "audio" || typeof m.voice !== "boolean")) throw invalidParam(`Param ${type}['voice'] must be a boolean, on audio only`);
}

function text(t: Obj) {
  const body = need(t, "body", "text");
  if (typeof body !== "string") throw invalidParam("Param text['body'] must be a string");
  if (body.length > 4096) throw invalidParam("Param text['body'] must be at most 4096 characters");
  if (given(t.preview_url) && typeof t.preview_url !== "boolean") throw invalidParam("Param text['preview_url'] must be a boolean");
}

function template(t: Obj): string {
  const name = need(t, "name", "template");
  if (typeof name !== "string") throw invalidParam("Param template['name'] must be a string");
  const language = need(t, "language", "template");
  if (!isObj(language) || !isStr(language.code)) throw invalidParam("Param template['language']['code'] is required");
  if (given(t.components)) {
    if (!Array.isArray(t.components)) throw invalidParam("Param template['components'] must be an array");
    t.components.forEach((c, i) => {
      // Any case; header, body, button, footer, carousel, limited_time_offer, order_status …
      if (!isObj(c) || typeof c.type !== "string" || !/^[a-z_]+$/i.test(c.type)) throw invalidParam(`Param template['components'][${i}]['type'] must be a component type such as HEADER, BODY, BUTTON, CAROUSEL`);
      if (c.type.toLowerCase() === "button" && (!given(c.sub_type) || !given(c.index))) throw invalidParam(`Param template['components'][${i}] of type button needs 'sub_type' and 'index'`);
      if (given(c.parameters) && (!Array.isArray(c.parameters) || c.parameters.some((p) => !isObj(p) || !isStr(p.type)))) {
        throw invalidParam(`Param template['components'][${i}]['parameters'] must be an array of objects with a 'type'`);
      }
    });
  }
  return name;
}

function interactive(x: Obj) {
  const kind = need(x, "type", "interactive");
  // The documented kinds are checked below; a kind Meta adds later passes on its shape alone.
  if (typeof kind !== "string" || !/^[a-z][a-z0-9_]*$/.test(kind)) throw invalidParam("Param interactive['type'] must be an interactive type such as button, list, cta_url, flow, carousel");
  if (kind !== "product" && (!isObj(x.body) || !isStr(x.body.text))) throw requiredParam("interactive['body']['text']");
  const action = need(x, "action", "interactive");
  if (!isObj(action)) throw invalidParam("Param interactive['action'] must be an object");
  if (kind === "button") {
    const buttons = action.buttons;
    if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) throw invalidParam("Param interactive['action']['buttons'] must have 1 to 3 buttons");
    for (const b of buttons) {
      if (!isObj(b) || b.type !== "reply" || !isObj(b.reply) || !isStr(b.reply.id) || !isStr(b.reply.title)) throw invalidParam("Each button needs type 'reply' and reply {id, title}");
      if ((b.reply.title as string).length > 20) throw invalidParam("Button title length is too long. Max length is 20");
    }
  }
  if (kind === "list") {
    if (!isStr(action.button)) throw requiredParam("interactive['action']['button']");
    const sections = action.sections;
    if (!Array.isArray(sections) || sections.length < 1 || sections.length > 10) throw invalidParam("Param interactive['action']['sections'] must have 1 to 10 sections");
    for (const s of sections) {
      if (!isObj(s) || !Array.isArray(s.rows) || s.rows.length === 0 || s.rows.some((r) => !isObj(r) || !isStr(r.id) || !isStr(r.title))) {
        throw invalidParam("Each section needs rows, each row an id and a title");
      }
    }
  }
  if (kind === "cta_url") {
    const p = action.parameters;
    if (action.name !== "cta_url" || !isObj(p) || !isStr(p.display_text) || !isUrl(p.url)) throw invalidParam("cta_url needs action {name: 'cta_url', parameters: {display_text, url}}");
  }
  if (kind === "flow" && (action.name !== "flow" || !isObj(action.parameters))) throw invalidParam("flow needs action {name: 'flow', parameters: {…}}");
  if (kind === "carousel" && (!Array.isArray(action.cards) || action.cards.length < 2 || action.cards.length > 10)) throw invalidParam("Param interactive['action']['cards'] must have 2 to 10 cards");
  const named: Record<string, string> = { location_request_message: "send_location", catalog_message: "catalog_message", voice_call: "voice_call", call_permission_request: "call_permission_request", address_message: "address_message" };
  if (named[kind] && action.name !== named[kind]) throw invalidParam(`${kind} needs action {name: '${named[kind]}'}`);
  if ((kind === "product" || kind === "product_list") && !isStr(action.catalog_id)) throw requiredParam("interactive['action']['catalog_id']");
}

function location(l: Obj) {
  for (const k of ["latitude", "longitude"] as const) {
    const v = need(l, k, "location");
    if (typeof v !== "number" && !(typeof v === "string" && Number.isFinite(Number(v)))) throw invalidParam(`Param location['${k}'] must be a number`);
  }
}

function contacts(list: unknown) {
  if (!Array.isArray(list) || list.length === 0) throw invalidParam("Param contacts must be a non-empty array");
  list.forEach((c, i) => {
    if (!isObj(c) || !isObj(c.name) || !isStr(c.name.formatted_name)) throw requiredParam(`contacts[${i}]['name']['formatted_name']`);
  });
}

function reaction(r: Obj) {
  if (!isStr(need(r, "message_id", "reaction"))) throw invalidParam("Param reaction['message_id'] must be a string");
  // An empty emoji is valid: it removes the reaction.
  if (typeof r.emoji !== "string") throw requiredParam("reaction['emoji']");
}

/** `to` (a phone number, or a group's id), else `recipient` (a business-scoped user id); `to` wins when both are given. */
function recipientOf(raw: Obj): Pick<ValidSend, "input" | "waId" | "recipientKind"> {
  if (given(raw.recipient_type) && raw.recipient_type !== "individual" && raw.recipient_type !== "group") throw invalidParam("Param recipient_type must be 'individual' or 'group'");
  const to = raw.to;
  if (raw.recipient_type === "group") {
    if (!isStr(to)) throw requiredParam("to");
    return { input: to, waId: to, recipientKind: "group" };
  }
  if (!given(to) && given(raw.recipient)) {
    if (typeof raw.recipient !== "string" || !/^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$/.test(raw.recipient)) throw invalidParam("Param recipient must be a business-scoped user id");
    return { input: raw.recipient, waId: raw.recipient, recipientKind: "user" };
  }
  // Graph coerces a number to its digits.
  const input = typeof need(raw, "to") === "number" ? String(to) : to;
  if (typeof input !== "string" || !/^\+?[\d\s\-().]+$/.test(input)) throw invalidParam("Param to must be a phone number");
  const waId = input.replace(/\D/g, "");
  if (waId.length < 7 || waId.length > 15) throw invalidParam("Param to must be a phone number of 7 to 15 digits");
  return { input, waId, recipientKind: "phone" };
}

/** Mark as read, with or without a typing indicator: `{messaging_product, status: "read", message_id, typing_indicator?}`. */
export function validateReadReceipt(raw: Obj): { messageId: string } {
  if (raw.status !== "read") throw invalidParam("Param status must be 'read'");
  const id = need(raw, "message_id");
  if (!isStr(id)) throw invalidParam("Param message_id must be a message id");
  if (given(raw.typing_indicator) && (!isObj(raw.typing_indicator) || raw.typing_indicator.type !== "text")) throw invalidParam("Param typing_indicator['type'] must be 'text'");
  return { messageId: id };
}

export function validateSend(raw: unknown): ValidSend {
  if (!isObj(raw)) throw invalidParam("The request body must be a JSON object");
  const product = need(raw, "messaging_product");
  if (product !== "whatsapp") throw invalidParam("Param messaging_product must be 'whatsapp'");
  const who = recipientOf(raw);
  // Meta defaults a missing type to text.
  const type = (raw.type ?? "text") as MessageType;
  if (!MESSAGE_TYPES.includes(type)) throw invalidParam(`Param type must be one of {${MESSAGE_TYPES.join(", ")}}`);
  const obj = need(raw, type);
  if (type === "contacts") contacts(obj);
  else if (!isObj(obj)) throw invalidParam(`Param ${type} must be an object`);
  if (given(raw.context) && (!isObj(raw.context) || !isStr(raw.context.message_id))) throw invalidParam("Param context['message_id'] must be a message id");
  if (given(raw.recipient_identity_key_hash) && !isStr(raw.recipient_identity_key_hash)) throw invalidParam("Param recipient_identity_key_hash must be a string");
  if (given(raw.biz_opaque_callback_data) && (typeof raw.biz_opaque_callback_data !== "string" || raw.biz_opaque_callback_data.length > 512)) {
    throw invalidParam("Param biz_opaque_callback_data must be a string of at most 512 characters");
  }

  let templateName: string | undefined;
  const o = obj as Obj;
  if (type === "text") text(o);
  else if (type === "template") templateName = template(o);
  else if (type === "interactive") interactive(o);
  else if (type === "location") location(o);
  else if (type === "reaction") reaction(o);
  else if (type !== "contacts") media(type, o);

  return {
    ...who,
    type,
    body: raw,
    ...(templateName === undefined ? {} : { templateName }),
    ...(typeof raw.biz_opaque_callback_data === "string" ? { bizOpaqueCallbackData: raw.biz_opaque_callback_data } : {}),
  };
}
