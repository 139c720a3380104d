import type { Hono } from "hono";
import { getEndpoint, listEndpoints } from "../../lib/webhooks/endpoints.js";
import { parsePage } from "../../lib/webhooks/schema.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";

/** GET /v1/webhook-endpoints?cursor=&limit=: newest first. Secrets are never part of it. */
export const registerWebhookEndpointsList = (app: Hono<AppEnv>) =>
  app.get("/webhook-endpoints", needs("webhooks:read"), async (c) => c.json(await listEndpoints(c.env.services, c.get("workspaceId")!, parsePage(c.req.query()))));

/** GET /v1/webhook-endpoints/{id}: another workspace's id → 404. */
export const registerWebhookEndpointGet = (app: Hono<AppEnv>) =>
  app.get("/webhook-endpoints/:id", needs("webhooks:read"), async (c) => c.json(await getEndpoint(c.env.services, c.get("workspaceId")!, c.req.param("id"))));
