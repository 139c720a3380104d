import type { Hono } from "hono";
import { createEndpoint } from "../../lib/webhooks/endpoints.js";
import { parseCreate } from "../../lib/webhooks/schema.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** POST /v1/webhook-endpoints {url, events?, description?} → 201 with the signing secret, shown this once. */
export const registerWebhookEndpointsPost = (app: Hono<AppEnv>) =>
  app.post("/webhook-endpoints", needs("webhooks:write"), async (c) => {
    const input = parseCreate(await c.req.text(), c.env.services.config.env);
    return c.json(await createEndpoint(c.env.services, c.get("workspaceId")!, input, apiKeyActor(c)), 201);
  });
