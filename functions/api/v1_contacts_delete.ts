import type { Hono } from "hono";
import { deleteContact } from "../../lib/contacts/delete.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** DELETE /v1/contacts/{id} → 204. */
export const registerContactDelete = (app: Hono<AppEnv>) =>
  app.delete("/contacts/:id", needs("contacts:write"), async (c) => {
    await deleteContact(c.env.services, c.get("workspaceId")!, c.req.param("id"), apiKeyActor(c));
    return c.body(null, 204);
  });
