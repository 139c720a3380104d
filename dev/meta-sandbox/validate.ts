import { invalidParam, requiredParam } from "./graph-errors.js";

/**
 * The send body checks Meta makes before accepting a message, answered the way Graph
 * answers them (code 100). Strict where a real send would fail, loose about fields
 * Meta ignores, so a body the sandbox accepts is a body Meta would accept.
 */
export const MESSAGE_TYPES = ["text", "template", "image", "document", "audio", "video", "sticker", "interactive", "location", "contacts", "reaction"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface ValidSend {
  /** `to` exactly as given: Meta echoes it as `contacts[0].input`. */
  input: string;
  /** Digits only: Meta's `wa_id` and the status webhooks' `recipient_id`. */
  waId: string;
  type: MessageType;
  body: Record<string, unknown>;
  templateName?: string;
  bizOpaqueCallbackData?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isUrl = (v: unknown) => typeof v === "string" && /^https?:\/\/[^\s]+$/i.test(v);

/** A required field; `parent` names where it sits, as Graph does: "template['name']". */
function need(o: Obj, key: string, parent?: string): unknown {
  if (o[key] === undefined || o[key] === null || o[key] === "") throw requiredParam(parent ? `${parent}['${key}']` : key);
  return o[key];
}

function media(type: string, m: Obj) {
  const hasId = m.id !== undefined, hasLink = m.link !== undefined;
  if (hasId === hasLink) throw invalidParam(`Param ${type} must have exactly one of 'id' or 'link'`);
  if (hasId && !isStr(m.id)) throw invalidParam(`Param ${type}['id'] must be a media id string`);
  if (hasLink && !isUrl(m.link)) throw invalidParam(`Param ${type}['link'] is not a valid URL`);
  if ((type === "audio" || type === "sticker") && m.caption !== undefined) throw invalidParam(`Param ${type}['caption'] is not supported for ${type}`);
  if (m.caption !== undefined && (typeof m.caption !== "string" || m.caption.length > 1024)) throw invalidParam(`Param ${type}['caption'] must be a string of at most 1024 characters`);
}

function text(t: Obj) {
  const body = need(t, "body", "text");
  if (typeof body !== "string") throw invalidParam("Param text['body'] must be a string");
  if (body.length > 4096) throw invalidParam("Param text['body'] must be at most 4096 characters");
  if (t.preview_url !== undefined && typeof t.preview_url !== "boolean") throw invalidParam("Param text['preview_url'] must be a boolean");
}

function template(t: Obj): string {
  const name = need(t, "name", "template");
  if (typeof name !== "string") throw invalidParam("Param template['name'] must be a string");
  const language = need(t, "language", "template");
  if (!isObj(language) || !isStr(language.code)) throw invalidParam("Param template['language']['code'] is required");
  if (t.components !== undefined) {
    if (!Array.isArray(t.components)) throw invalidParam("Param template['components'] must be an array");
    t.components.forEach((c, i) => {
      if (!isObj(c) || !["header", "body", "button", "footer"].includes(String(c.type))) throw invalidParam(`Param template['components'][${i}]['type'] must be one of {HEADER, BODY, BUTTON, FOOTER}`);
      if (c.type === "button" && (c.sub_type === undefined || c.index === undefined)) throw invalidParam(`Param template['components'][${i}] of type button needs 'sub_type' and 'index'`);
      if (c.parameters !== undefined && (!Array.isArray(c.parameters) || c.parameters.some((p) => !isObj(p) || !isStr(p.type)))) {
        throw invalidParam(`Param template['components'][${i}]['parameters'] must be an array of objects with a 'type'`);
      }
    });
  }
  return name;
}

function interactive(x: Obj) {
  const kind = need(x, "type", "interactive");
  const kinds = ["button", "list", "cta_url", "flow", "product", "product_list", "catalog_message", "location_request_message", "address_message"];
  if (typeof kind !== "string" || !kinds.includes(kind)) throw invalidParam(`Param interactive['type'] must be one of {${kinds.join(", ")}}`);
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

export function validateSend(raw: unknown): ValidSend {
  if (!isObj(raw)) throw invalidParam("The request body must be a JSON object");
  const product = need(raw, "messaging_product");
  if (product !== "whatsapp") throw invalidParam("Param messaging_product must be 'whatsapp'");
  if (raw.recipient_type !== undefined && raw.recipient_type !== "individual") throw invalidParam("Param recipient_type must be 'individual'");
  const to = need(raw, "to");
  if (typeof to !== "string" || !/^\+?[\d\s\-().]+$/.test(to)) throw invalidParam("Param to must be a phone number");
  const waId = to.replace(/\D/g, "");
  if (waId.length < 7 || waId.length > 15) throw invalidParam("Param to must be a phone number of 7 to 15 digits");
  // Meta defaults a missing type to text.
  const type = (raw.type ?? "text") as MessageType;
  if (!MESSAGE_TYPES.includes(type)) throw invalidParam(`Param type must be one of {${MESSAGE_TYPES.join(", ")}}`);
  const obj = need(raw, type);
  if (type === "contacts") contacts(obj);
  else if (!isObj(obj)) throw invalidParam(`Param ${type} must be an object`);
  if (raw.context !== undefined && (!isObj(raw.context) || !isStr(raw.context.message_id))) throw invalidParam("Param context['message_id'] must be a message id");
  if (raw.biz_opaque_callback_data !== undefined && (typeof raw.biz_opaque_callback_data !== "string" || raw.biz_opaque_callback_data.length > 512)) {
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
    input: to,
    waId,
    type,
    body: raw,
    ...(templateName === undefined ? {} : { templateName }),
    ...(typeof raw.biz_opaque_callback_data === "string" ? { bizOpaqueCallbackData: raw.biz_opaque_callback_data } : {}),
  };
}
