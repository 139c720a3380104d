import type { Hono } from "hono";
import { eraseContact } from "../../lib/principals/erase.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** POST /v1/contacts/{id}/erase → 200 `{id, erased_at}`; again → 200, the same answer. */
export const registerContactErase = (app: Hono<AppEnv>) =>
  app.post("/contacts/:id/erase", needs("contacts:write"), async (c) =>
    c.json(await eraseContact(c.env.services, c.get("workspaceId")!, c.req.param("id"), apiKeyActor(c))),
  );
