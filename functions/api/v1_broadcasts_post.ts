import type { Hono } from "hono";
import { createBroadcast } from "../../lib/broadcasts/create.js";
import { CreateBroadcast } from "../../lib/broadcasts/schema.js";
import { parseJsonBody } from "../../lib/parse.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** POST /v1/broadcasts {name, from?, template, audience, send_at?} → 201 {id, status: scheduled | running, …}. */
export const registerBroadcastsPost = (app: Hono<AppEnv>) =>
  app.post("/broadcasts", needs("broadcasts:write"), async (c) => {
    const input = parseJsonBody(CreateBroadcast, await c.req.text());
    return c.json(await createBroadcast(c.env.services, c.get("workspaceId")!, input, apiKeyActor(c)), 201);
  });
