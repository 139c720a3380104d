import type { Hono } from "hono";
import { contactData } from "../../lib/principals/data.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";

/** GET /v1/contacts/{id}/data → 200: everything held about the contact, numbers unmasked. */
export const registerContactData = (app: Hono<AppEnv>) =>
  app.get("/contacts/:id/data", needs("contacts:read", "contacts:read_unmasked", "messages:read", { record: true }), async (c) =>
    c.json(await contactData(c.env.services, c.get("workspaceId")!, c.req.param("id"))),
  );
