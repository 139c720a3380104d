import type { MetaSandbox } from "../../dev/meta-sandbox/index.js";
import { seedContacts, TEMPLATE } from "./broadcast-kit.js";
import { fakePng, mediaForm } from "./media-kit.js";
import { connectTestNumber, setLimits } from "./senders.js";
import type { TestStack } from "./stack.js";

/** A workspace with a key and a number the Meta sandbox knows (same token, own WABA). */
export interface KeyTenant {
  stack: TestStack;
  meta: MetaSandbox;
  workspaceId: string;
  key: string;
  keyId: string;
  wabaId: string;
  phoneNumberId: string;
}

let seq = 0;
/**
 * A tenant for the audit suites: high limits, a number the sandbox knows on its own WABA,
 * two contacts tagged "audited" (a broadcast's audience), and the broadcast kit's template
 * plus a parameterless `audit_plain` approved in the synced catalogue.
 */
export async function auditTenant(stack: TestStack, meta: MetaSandbox, name: string): Promise<KeyTenant> {
  const t = await stack.tenant(name);
  await setLimits(stack, t.workspaceId, { apiKey: { limit: 1000, periodMs: 1000 }, ip: { limit: 1000, periodMs: 1000 }, workspace: { limit: 1000, periodMs: 1000 } });
  const wabaId = `88${Date.now() % 1e8}${seq++}`;
  const token = `EAAAuditRoutes${wabaId}abcdefghij`;
  const n = await connectTestNumber(stack, t.workspaceId, { wabaId, token });
  meta.registerNumber(n.phone_number_id, token, { wabaId });
  await seedContacts(stack.owner, t.workspaceId, 2, { tag: "audited" });
  meta.templates.seed(wabaId, { name: TEMPLATE.name, category: "MARKETING", components: [{ type: "BODY", text: "Hi {{1}} from {{2}}" }] });
  meta.templates.seed(wabaId, { name: "audit_plain", category: "UTILITY", components: [{ type: "BODY", text: "Hello" }] });
  const k: KeyTenant = { stack, meta, ...t, wabaId, phoneNumberId: n.phone_number_id };
  const synced = await keyCall(k, "POST", { path: "/v1/templates/sync" });
  if (synced.status !== 200) throw new Error(`sync: ${synced.status} ${await synced.text()}`);
  return k;
}

export interface KeyRequest {
  path: string;
  json?: unknown;
  csv?: string;
  form?: FormData;
}

/** One state-changing /v1 or Graph-compatible route asked with the tenant's key. */
export interface KeyCase {
  setup?: (t: KeyTenant) => Promise<Record<string, string>>;
  request: (p: Record<string, string>, t: KeyTenant) => KeyRequest;
  action: string;
}

export const UA = "audit-routes/1";

export async function keyCall(t: KeyTenant, method: string, r: KeyRequest): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${t.key}`, "user-agent": UA };
  if (r.json !== undefined) headers["content-type"] = "application/json";
  if (r.csv !== undefined) headers["content-type"] = "text/csv";
  const body = r.json !== undefined ? JSON.stringify(r.json) : (r.csv ?? r.form);
  return t.stack.request(r.path, { method, headers, ...(body !== undefined ? { body } : {}) });
}

export const created = async (t: KeyTenant, path: string, json: unknown, field = "id") => {
  const r = await keyCall(t, "POST", { path, json });
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return String(((await r.json()) as Record<string, unknown>)[field]);
};
let n = 0;
export const endpoint = async (t: KeyTenant) => ({ id: await created(t, "/v1/webhook-endpoints", { url: `http://127.0.0.1:9/h${n++}`, events: ["message.sent"] }) });
const contact = async (t: KeyTenant) => ({ id: await created(t, "/v1/contacts", { wa_id: `9198765${String(10000 + n++).padStart(5, "0")}` }) });
export const broadcast = async (t: KeyTenant) => ({
  id: await created(t, "/v1/broadcasts", { name: `b${n++}`, template: TEMPLATE, audience: { tag: "audited" }, send_at: new Date(Date.now() + 3600_000).toISOString() }),
});
export const paused = async (t: KeyTenant) => {
  const b = await broadcast(t);
  const r = await keyCall(t, "POST", { path: `/v1/broadcasts/${b.id}/pause` });
  if (r.status !== 200) throw new Error(`pause: ${r.status} ${await r.text()}`);
  return b;
};
/** A template at Meta, pulled into the workspace's catalogue. */
const template = async (t: KeyTenant) => {
  const name = `audit_tpl_${n++}`;
  t.meta.templates.seed(t.wabaId, { name, category: "UTILITY", components: [{ type: "BODY", text: "Hello" }] });
  const r = await keyCall(t, "POST", { path: "/v1/templates/sync" });
  if (r.status !== 200) throw new Error(`sync: ${r.status} ${await r.text()}`);
  return { name };
};
const uploaded = async (t: KeyTenant) => {
  const r = await keyCall(t, "POST", { path: "/v1/media", form: mediaForm(fakePng(100), "image/png") });
  if (r.status >= 300) throw new Error(`upload: ${r.status} ${await r.text()}`);
  return { id: String(((await r.json()) as { id: string }).id) };
};
const graphUploaded = async (t: KeyTenant) => {
  const r = await keyCall(t, "POST", { path: `/v23.0/${t.phoneNumberId}/media`, form: mediaForm(fakePng(100), "image/png") });
  if (r.status >= 300) throw new Error(`graph upload: ${r.status} ${await r.text()}`);
  return { id: String(((await r.json()) as { id: string }).id) };
};

const GRAPH = "/:version{v[0-9]+\\.[0-9]+}";

export const KEY_CASES: Record<string, KeyCase> = {
  "POST /v1/webhook-endpoints": { request: () => ({ path: "/v1/webhook-endpoints", json: { url: `http://127.0.0.1:9/new${n++}`, events: ["message.sent"] } }), action: "webhook_endpoint.created" },
  "PATCH /v1/webhook-endpoints/:id": { setup: endpoint, request: (p) => ({ path: `/v1/webhook-endpoints/${p.id}`, json: { enabled: false } }), action: "webhook_endpoint.updated" },
  "DELETE /v1/webhook-endpoints/:id": { setup: endpoint, request: (p) => ({ path: `/v1/webhook-endpoints/${p.id}` }), action: "webhook_endpoint.deleted" },
  "POST /v1/webhook-endpoints/:id/rotate-secret": { setup: endpoint, request: (p) => ({ path: `/v1/webhook-endpoints/${p.id}/rotate-secret` }), action: "webhook_endpoint.secret_rotated" },
  "POST /v1/contacts": { request: () => ({ path: "/v1/contacts", json: { wa_id: `9198123${String(10000 + n++).padStart(5, "0")}`, name: "Asha" } }), action: "contact.created" },
  "PATCH /v1/contacts/:id": { setup: contact, request: (p) => ({ path: `/v1/contacts/${p.id}`, json: { name: "Ravi" } }), action: "contact.updated" },
  "DELETE /v1/contacts/:id": { setup: contact, request: (p) => ({ path: `/v1/contacts/${p.id}` }), action: "contact.deleted" },
  "POST /v1/contacts/:id/erase": { setup: contact, request: (p) => ({ path: `/v1/contacts/${p.id}/erase` }), action: "contact.erased" },
  "POST /v1/contacts/imports": { request: () => ({ path: "/v1/contacts/imports", csv: `wa_id,name\n9198111${String(10000 + n++).padStart(5, "0")},Meera\n` }), action: "contacts.import_started" },
  "PUT /v1/rate-card": { request: () => ({ path: "/v1/rate-card", csv: "category,country_code,price,currency\nMARKETING,91,0.7846,INR\n" }), action: "rate_card.imported" },
  "PUT /v1/workspace/retention": { request: () => ({ path: "/v1/workspace/retention", json: { message_retention_days: 90 } }), action: "workspace.retention_set" },
  "PUT /v1/workspace/export-approval": { request: () => ({ path: "/v1/workspace/export-approval", json: { export_approval_threshold: 500 } }), action: "workspace.export_approval_threshold_set" },
  "POST /v1/exports": { request: () => ({ path: "/v1/exports", json: { kind: "contacts" } }), action: "export.requested" },
  "PUT /v1/workspace/ip-allowlist": { request: () => ({ path: "/v1/workspace/ip-allowlist", json: { ranges: ["203.0.113.0/24"] } }), action: "workspace.ip_allowlist_set" },
  "POST /v1/templates/sync": { setup: async (t) => (t.meta.templates.seed(t.wabaId, { name: `synced_${n++}`, category: "UTILITY", components: [{ type: "BODY", text: "Hi" }] }), {}), request: () => ({ path: "/v1/templates/sync" }), action: "templates.synced" },
  "POST /v1/templates": { request: () => ({ path: "/v1/templates", json: { name: `submitted_${n++}`, language: "en_US", category: "UTILITY", components: [{ type: "BODY", text: "Hello {{1}}" }] } }), action: "template.submitted" },
  "DELETE /v1/templates/:name": { setup: template, request: (p) => ({ path: `/v1/templates/${p.name}` }), action: "template.deleted" },
  "POST /v1/broadcasts": { request: () => ({ path: "/v1/broadcasts", json: { name: `b${n++}`, template: TEMPLATE, audience: { tag: "audited" }, send_at: new Date(Date.now() + 3600_000).toISOString() } }), action: "broadcast.created" },
  "POST /v1/broadcasts/:id/pause": { setup: broadcast, request: (p) => ({ path: `/v1/broadcasts/${p.id}/pause` }), action: "broadcast.paused" },
  "POST /v1/broadcasts/:id/resume": { setup: paused, request: (p) => ({ path: `/v1/broadcasts/${p.id}/resume` }), action: "broadcast.resumed" },
  "POST /v1/broadcasts/:id/cancel": { setup: broadcast, request: (p) => ({ path: `/v1/broadcasts/${p.id}/cancel` }), action: "broadcast.canceled" },
  "POST /v1/media": { request: () => ({ path: "/v1/media", form: mediaForm(fakePng(100), "image/png") }), action: "media.uploaded" },
  "DELETE /v1/media/:id": { setup: uploaded, request: (p) => ({ path: `/v1/media/${p.id}` }), action: "media.deleted" },
  [`POST ${GRAPH}/:phoneNumberId/media`]: { request: (_, t) => ({ path: `/v23.0/${t.phoneNumberId}/media`, form: mediaForm(fakePng(100), "image/png") }), action: "media.uploaded" },
  [`DELETE ${GRAPH}/:mediaId`]: { setup: graphUploaded, request: (p) => ({ path: `/v23.0/${p.id}` }), action: "media.deleted" },
};
