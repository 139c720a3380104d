import { CreateBroadcast } from "../../lib/broadcasts/schema.js";
import { CreateContact, UpdateContact } from "../../lib/contacts/schema.js";
import { RetentionInput } from "../../lib/retention/setting.js";
import { AllowlistInput } from "../../lib/network/set-allowlist.js";
import { CreateTemplate } from "../../lib/templates/schema.js";
import { page, type RouteDoc } from "./registry.js";

const waba = { waba_id: "the WABA, when the workspace has more than one" };
const template = { name: "order_shipped", language: { code: "en_US" }, components: [{ type: "body", parameters: [{ type: "text", text: "{{contact.name}}" }] }] };

/** Contacts, templates, broadcasts and the rate card. */
export const V1_BOOK: RouteDoc[] = [
  {
    method: "post",
    path: "/v1/contacts",
    tag: "Contacts",
    summary: "Create a contact",
    body: { schema: CreateContact, example: { wa_id: "+919812345678", name: "Asha", attributes: { city: "Pune", orders: 3 }, tags: ["vip"], marketing_opt_in: { source: "checkout" } } },
    responses: { 201: "The contact", 409: "A contact with this wa_id exists" },
  },
  { method: "get", path: "/v1/contacts", tag: "Contacts", summary: "Contacts, newest first", query: { tag: "having this tag", q: "name or number contains", opted_in: "true or false", ...page }, responses: { 200: "{data, next_cursor}" } },
  { method: "get", path: "/v1/contacts/{id}", tag: "Contacts", summary: "One contact with its consent history", responses: { 200: "The contact", 404: "Not this workspace's" } },
  {
    method: "patch",
    path: "/v1/contacts/{id}",
    tag: "Contacts",
    summary: "Change a contact; attributes merge (null removes a key)",
    body: { schema: UpdateContact, example: { attributes: { city: null }, marketing_opt_out: true } },
    responses: { 200: "The contact", 404: "Not this workspace's" },
  },
  { method: "delete", path: "/v1/contacts/{id}", tag: "Contacts", summary: "Delete a contact", responses: { 204: "Deleted", 404: "Not this workspace's" } },
  { method: "get", path: "/v1/workspace/ip-allowlist", tag: "Workspace", summary: "The CIDR ranges API keys and sessions may come from (empty: any)", responses: { 200: "{ranges}" } },
  {
    method: "put",
    path: "/v1/workspace/ip-allowlist",
    tag: "Workspace",
    summary: "Replace the IP allow-list (IPv4 and IPv6 CIDR ranges, at most 100)",
    description: "A list that does not include the caller's own address is refused (422 allowlist_excludes_caller). Requests from elsewhere get 403 ip_not_allowed before anything else is done.",
    body: { schema: AllowlistInput, example: { ranges: ["203.0.113.0/24", "2001:db8::/32"] } },
    responses: { 200: "{ranges}, canonical", 422: "A range that does not parse, or a list that would lock out the caller" },
  },
  { method: "get", path: "/v1/workspace/retention", tag: "Workspace", summary: "How many days message content is kept (null: kept)", responses: { 200: "{message_retention_days}" } },
  {
    method: "put",
    path: "/v1/workspace/retention",
    tag: "Workspace",
    summary: "Set how many days message content is kept; older content is purged by the sweep, statuses and counts stay",
    body: { schema: RetentionInput, example: { message_retention_days: 90 } },
    responses: { 200: "{message_retention_days}" },
  },
  {
    method: "get",
    path: "/v1/contacts/{id}/data",
    tag: "Contacts",
    summary: "Everything held about one contact (DPDP Act, GDPR access)",
    description: "The profile, consent history, every message with its content and status events, the broadcasts it received and the media its messages name. Needs contacts:read, contacts:read_unmasked and messages:read.",
    responses: { 200: "{contact, consent_history, messages, broadcasts, media}", 404: "Not this workspace's" },
  },
  {
    method: "post",
    path: "/v1/contacts/{id}/erase",
    tag: "Contacts",
    summary: "Erase a contact's personal data (idempotent)",
    description: "The number becomes a keyed hash (later messages and opt-outs from it still match), name, attributes and tags are cleared, message content and media references removed; consent history stays as evidence. A second call answers the same.",
    responses: { 200: "{id, erased_at}", 404: "Not this workspace's" },
  },
  {
    method: "post",
    path: "/v1/contacts/imports",
    tag: "Contacts",
    summary: "Import contacts from CSV (streamed); re-importing a file changes nothing",
    body: { csv: "wa_id,name,tags,opt_in,opt_out,city\n+919812345678,Asha,vip;pune,2026-11-01T10:00:00Z,,Pune\n" },
    responses: { 202: "{id, status, counts, errors}" },
  },
  { method: "get", path: "/v1/contacts/imports/{id}", tag: "Contacts", summary: "An import's progress and per-line errors", responses: { 200: "The import", 404: "Not this workspace's" } },
  { method: "get", path: "/v1/contacts/export", tag: "Contacts", summary: "Every contact as CSV, streamed (the import's columns), up to the export-approval threshold", responses: { 200: "text/csv", 403: "export_approval_required: more contacts than the threshold; ask with POST /v1/exports" } },
  { method: "post", path: "/v1/templates/sync", tag: "Templates", summary: "Pull every page of the WABA's templates from Meta", query: waba, responses: { 200: "{synced: [{waba_id, templates}]}" } },
  { method: "get", path: "/v1/templates", tag: "Templates", summary: "The template catalogue", query: { ...waba, name: "one name", status: "APPROVED, PENDING, …", category: "MARKETING, UTILITY or AUTHENTICATION" }, responses: { 200: "{data}" } },
  {
    method: "post",
    path: "/v1/templates",
    tag: "Templates",
    summary: "Submit a template to Meta for review",
    body: { schema: CreateTemplate, example: { name: "order_shipped", language: "en_US", category: "UTILITY", components: [{ type: "BODY", text: "Hi {{1}}, your order has shipped." }] } },
    responses: { 201: "The template, PENDING" },
  },
  { method: "delete", path: "/v1/templates/{name}", tag: "Templates", summary: "Delete every language of a template, at Meta and here", query: waba, responses: { 204: "Deleted" } },
  {
    method: "post",
    path: "/v1/broadcasts",
    tag: "Broadcasts",
    summary: "Schedule a template to an audience",
    body: { schema: CreateBroadcast, example: { name: "November restock", template: { ...template, category: "MARKETING" }, audience: { tag: "vip" }, send_at: "2026-12-01T09:00:00Z" } },
    responses: { 201: "{id, status: scheduled | running, …}" },
  },
  { method: "get", path: "/v1/broadcasts", tag: "Broadcasts", summary: "Broadcasts, newest first", query: page, responses: { 200: "{data, next_cursor}" } },
  { method: "get", path: "/v1/broadcasts/{id}", tag: "Broadcasts", summary: "One broadcast with live counts", responses: { 200: "The broadcast", 404: "Not this workspace's" } },
  { method: "get", path: "/v1/broadcasts/{id}/estimate", tag: "Broadcasts", summary: "Recipients after skips, duration and cost", responses: { 200: "The estimate" } },
  { method: "get", path: "/v1/broadcasts/{id}/recipients", tag: "Broadcasts", summary: "Recipients and their outcome: JSON pages, or CSV with Accept: text/csv", query: { status: "one outcome", ...page }, responses: { 200: "{data, next_cursor} or text/csv" } },
  { method: "post", path: "/v1/broadcasts/{id}/pause", tag: "Broadcasts", summary: "Pause a broadcast", responses: { 200: "{id, status}" } },
  { method: "post", path: "/v1/broadcasts/{id}/resume", tag: "Broadcasts", summary: "Resume a paused broadcast", responses: { 200: "{id, status}" } },
  { method: "post", path: "/v1/broadcasts/{id}/cancel", tag: "Broadcasts", summary: "Cancel a broadcast", responses: { 200: "{id, status}" } },
  { method: "put", path: "/v1/rate-card", tag: "Broadcasts", summary: "Replace the rate card", body: { csv: "category,country_code,price,currency\nMARKETING,IN,0.7846,INR\n" }, responses: { 200: "The card" } },
  { method: "get", path: "/v1/rate-card", tag: "Broadcasts", summary: "The rate card", responses: { 200: "The card" } },
  {
    method: "get",
    path: "/v1/audit-log",
    tag: "Audit",
    summary: "The hash-chained audit log, newest first; the whole filtered log as CSV (Accept: text/csv) or JSON Lines (Accept: application/x-ndjson)",
    query: { actor: "actor id (a key id, a user id)", action: "e.g. contact.updated", object_type: "e.g. contact", object_id: "the object's id", from: "ISO time, inclusive", to: "ISO time, exclusive", ...page },
    responses: { 200: "{data, next_cursor}, text/csv or application/x-ndjson", 422: "A bad filter" },
  },
  {
    method: "get",
    path: "/v1/access-log",
    tag: "Audit",
    summary: "Records of reads of personal data (who, from where, which route and object, how many rows, the status), newest first",
    query: { actor: "actor id (a key id, a user id, a support grant id)", route: "the route's pattern, e.g. /v1/messages/:id", since: "ISO time, inclusive", ...page },
    responses: { 200: "{data, next_cursor}", 422: "A bad filter" },
  },
];
