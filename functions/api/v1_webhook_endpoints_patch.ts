import type { Hono } from "hono";
import { updateEndpoint } from "../../lib/webhooks/endpoints.js";
import { parseUpdate } from "../../lib/webhooks/schema.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** PATCH /v1/webhook-endpoints/{id} {url?, events?, enabled?, description?}: enabling again clears the failure streak. */
export const registerWebhookEndpointPatch = (app: Hono<AppEnv>) =>
  app.patch("/webhook-endpoints/:id", needs("webhooks:write"), async (c) => {
    const changes = parseUpdate(await c.req.text(), c.env.services.config.env);
    return c.json(await updateEndpoint(c.env.services, c.get("workspaceId")!, c.req.param("id"), changes, apiKeyActor(c)));
  });
