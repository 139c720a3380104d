import * as v from "valibot";
import { ReadReceiptSchema, SendMessageSchema } from "../../lib/messages/schema.js";
import { CreateSchema as CreateEndpoint, UpdateSchema as UpdateEndpoint } from "../../lib/webhooks/schema.js";
import { page, type RouteDoc } from "./registry.js";

const id = "0193b6f4-9c3e-7a51-8d2e-5f0a1c2b3d4e";

/** Messages, webhook endpoints, the workspace and its dead letters. */
export const V1_CORE: RouteDoc[] = [
  { method: "get", path: "/v1/workspace", tag: "Workspace", summary: "The workspace the API key belongs to", responses: { 200: "The workspace" } },
  {
    method: "post",
    path: "/v1/messages",
    tag: "Messages",
    summary: "Send a message (any Cloud API body), or mark one as read",
    description: "Idempotency-Key replays answer the first response with Idempotent-Replayed: true. A body with `status: \"read\"` is a read receipt: Meta's answer, not a message.",
    body: { schema: v.union([SendMessageSchema, ReadReceiptSchema]), example: { to: "+919876543210", type: "text", text: { body: "Your order has shipped" }, biz_opaque_callback_data: "order-42" } },
    responses: { 202: "Accepted: {id, status: \"queued\"}", 200: "A read receipt: {success: true}" },
    answer: { id, status: "queued" },
  },
  { method: "get", path: "/v1/messages", tag: "Messages", summary: "The message tracker, newest first", query: { status: "one status", to: "a recipient", ...page }, responses: { 200: "{data, next_cursor}" } },
  { method: "get", path: "/v1/messages/{id}", tag: "Messages", summary: "One message: status, wamid, Meta's error, history", responses: { 200: "The message", 404: "Not this workspace's" } },
  {
    method: "post",
    path: "/v1/webhook-endpoints",
    tag: "Webhooks",
    summary: "Create a webhook endpoint; its signing secret is shown only here",
    description: "`format`: `standard` (Standard Webhooks, the default) or `meta` (Meta's own envelope, signed X-Hub-Signature-256 with the secret as the app secret).",
    body: { schema: CreateEndpoint, example: { url: "https://hooks.example.com/sandesh", events: ["message.received", "message.read"], description: "CRM", format: "meta" } },
    responses: { 201: "The endpoint with `secret`", 422: "validation_failed, or webhook_endpoint_limit_reached" },
  },
  { method: "get", path: "/v1/webhook-endpoints", tag: "Webhooks", summary: "The workspace's endpoints, newest first (never the secret)", query: page, responses: { 200: "{data, next_cursor}" } },
  { method: "get", path: "/v1/webhook-endpoints/{id}", tag: "Webhooks", summary: "One endpoint", responses: { 200: "The endpoint", 404: "Not this workspace's" } },
  {
    method: "patch",
    path: "/v1/webhook-endpoints/{id}",
    tag: "Webhooks",
    summary: "Change an endpoint; enabling again clears the failure streak",
    body: { schema: UpdateEndpoint, example: { enabled: true, events: null } },
    responses: { 200: "The endpoint", 404: "Not this workspace's" },
  },
  { method: "delete", path: "/v1/webhook-endpoints/{id}", tag: "Webhooks", summary: "Delete an endpoint with its pending deliveries", responses: { 204: "Deleted", 404: "Not this workspace's" } },
  { method: "post", path: "/v1/webhook-endpoints/{id}/rotate-secret", tag: "Webhooks", summary: "A new secret, shown once; the previous one signs Standard Webhooks for 24 h more", responses: { 200: "The endpoint with `secret` and `previous_secret_expires_at`" } },
  { method: "get", path: "/v1/webhook-endpoints/{id}/attempts", tag: "Webhooks", summary: "Every delivery attempt, newest first", query: page, responses: { 200: "{data, next_cursor}" } },
  { method: "get", path: "/v1/meta-dead-letters", tag: "Workspace", summary: "Items of Meta's webhooks for this workspace that were not applied", query: page, responses: { 200: "{data, next_cursor}" } },
];
