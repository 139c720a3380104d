import type { Hono } from "hono";
import { UpdateContact } from "../../lib/contacts/schema.js";
import { updateContact } from "../../lib/contacts/update.js";
import { parseJsonBody } from "../../lib/parse.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** PATCH /v1/contacts/{id} {name?, attributes? (merged), tags?, marketing_opt_in?, marketing_opt_out?}. */
export const registerContactPatch = (app: Hono<AppEnv>) =>
  app.patch("/contacts/:id", needs("contacts:write"), async (c) => {
    const input = parseJsonBody(UpdateContact, await c.req.text());
    return c.json(await updateContact(c.env.services, c.get("workspaceId")!, c.req.param("id"), input, apiKeyActor(c)));
  });
