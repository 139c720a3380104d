import type { Hono } from "hono";
import { createContact } from "../../lib/contacts/create.js";
import { CreateContact } from "../../lib/contacts/schema.js";
import { parseJsonBody } from "../../lib/parse.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** POST /v1/contacts {wa_id, name?, attributes?, tags?, marketing_opt_in?, marketing_opt_out?} → 201. */
export const registerContactsPost = (app: Hono<AppEnv>) =>
  app.post("/contacts", needs("contacts:write"), async (c) => {
    const input = parseJsonBody(CreateContact, await c.req.text());
    return c.json(await createContact(c.env.services, c.get("workspaceId")!, input, apiKeyActor(c)), 201);
  });
