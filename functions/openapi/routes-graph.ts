import * as v from "valibot";
import { ReadReceiptSchema, SendMessageSchema } from "../../lib/messages/schema.js";
import type { RouteDoc } from "./registry.js";

/** The Graph-compatible surface: Cloud API SDKs with Sandesh as their base URL. */
export const GRAPH: RouteDoc[] = [
  {
    method: "post",
    path: "/{version}/{phoneNumberId}/messages",
    tag: "Graph-compatible",
    summary: "Cloud API's send, with a Sandesh API key as the access token",
    description: "`version` is Graph's (e.g. v21.0); the number must be the key's workspace's. Answers and errors are Graph's, `{error: {message, type, code, fbtrace_id}}`.",
    body: { schema: v.union([SendMessageSchema, ReadReceiptSchema]), example: { messaging_product: "whatsapp", to: "919876543210", type: "template", template: { name: "order_shipped", language: { code: "en_US" } } } },
    responses: { 200: "{messaging_product, contacts, messages: [{id}]}" },
    answer: { messaging_product: "whatsapp", contacts: [{ input: "919876543210", wa_id: "919876543210" }], messages: [{ id: "wamid.HBgLOTE5ODc2NTQzMjEwFQIAERgSQzVGQjNBNzE0RkI3" }] },
  },
];
