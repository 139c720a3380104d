import type { Hono } from "hono";
import { deleteEndpoint } from "../../lib/webhooks/endpoints.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** DELETE /v1/webhook-endpoints/{id} → 204; its pending deliveries and attempts go with it. */
export const registerWebhookEndpointDelete = (app: Hono<AppEnv>) =>
  app.delete("/webhook-endpoints/:id", needs("webhooks:write"), async (c) => {
    await deleteEndpoint(c.env.services, c.get("workspaceId")!, c.req.param("id"), apiKeyActor(c));
    return c.body(null, 204);
  });
