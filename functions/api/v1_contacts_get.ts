import type { Hono } from "hono";
import { getContact } from "../../lib/contacts/get.js";
import { listContacts } from "../../lib/contacts/list.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";
import { counted } from "../middleware/record-read.js";

/** GET /v1/contacts?tag=&q=&opted_in=&cursor=&limit=: newest first. */
export const registerContactsList = (app: Hono<AppEnv>) =>
  app.get("/contacts", needs("contacts:read", { record: true }), async (c) => c.json(counted(c, await listContacts(c.env.services, c.get("workspaceId")!, c.req.query()))));

/** GET /v1/contacts/{id}: with its consent history. Another tenant's id → 404. */
export const registerContactGet = (app: Hono<AppEnv>) =>
  app.get("/contacts/:id", needs("contacts:read", { record: true }), async (c) => c.json(await getContact(c.env.services, c.get("workspaceId")!, c.req.param("id"))));
