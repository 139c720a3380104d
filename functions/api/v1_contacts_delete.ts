import type { Hono } from "hono";
import { deleteContact } from "../../lib/contacts/delete.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";

/** DELETE /v1/contacts/{id} → 204. */
export const registerContactDelete = (app: Hono<AppEnv>) =>
  app.delete("/contacts/:id", async (c) => {
    await deleteContact(c.env.services, c.get("auth")!.workspaceId, c.req.param("id"), apiKeyActor(c));
    return c.body(null, 204);
  });
