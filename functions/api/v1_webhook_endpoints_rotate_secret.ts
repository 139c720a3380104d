import type { Hono } from "hono";
import { rotateSecret } from "../../lib/webhooks/endpoints.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** POST /v1/webhook-endpoints/{id}/rotate-secret: a new secret, shown once; the old one signs too for 24 h. */
export const registerWebhookEndpointRotateSecret = (app: Hono<AppEnv>) =>
  app.post("/webhook-endpoints/:id/rotate-secret", needs("webhooks:write"), async (c) =>
    c.json(await rotateSecret(c.env.services, c.get("workspaceId")!, c.req.param("id"), apiKeyActor(c))),
  );
