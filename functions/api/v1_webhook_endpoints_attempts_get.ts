import type { Hono } from "hono";
import { listAttempts } from "../../lib/webhooks/attempts.js";
import { parsePage } from "../../lib/webhooks/schema.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";

/** GET /v1/webhook-endpoints/{id}/attempts?cursor=&limit=: every delivery attempt, newest first. */
export const registerWebhookEndpointAttempts = (app: Hono<AppEnv>) =>
  app.get("/webhook-endpoints/:id/attempts", needs("webhooks:read"), async (c) =>
    c.json(await listAttempts(c.env.services, c.get("workspaceId")!, c.req.param("id"), parsePage(c.req.query()))),
  );
