import type { Hono } from "hono";
import { exportContacts } from "../../lib/contacts/export.js";
import { ensureWithinThreshold } from "../../lib/exports/guard.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";
import { phoneViewOf } from "../middleware/phones.js";

/** GET /v1/contacts/export: the whole book as CSV, streamed, up to the export-approval threshold (above it: 403 export_approval_required). */
export const registerContactsExport = (app: Hono<AppEnv>) =>
  app.get("/contacts/export", needs("contacts:read", "exports:create", { record: true }), async (c) => {
    const workspaceId = c.get("workspaceId")!;
    const counted = await ensureWithinThreshold(c.env.services, workspaceId);
    const body = await exportContacts(c.env.services, workspaceId, phoneViewOf(c), counted);
    return c.body(body, 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="contacts.csv"' });
  });
