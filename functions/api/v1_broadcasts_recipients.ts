import type { Hono } from "hono";
import { listRecipients, recipientsCsv } from "../../lib/broadcasts/recipients.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";
import { counted } from "../middleware/record-read.js";
import { phoneViewOf } from "../middleware/phones.js";

/**
 * GET /v1/broadcasts/{id}/recipients?status=&cursor=&limit=: JSON pages, or with
 * `Accept: text/csv` every matching recipient as CSV (the failed-messages report).
 */
export const registerBroadcastRecipients = (app: Hono<AppEnv>) =>
  app.get("/broadcasts/:id/recipients", needs("broadcasts:read", { csv: ["exports:create"], record: true }), async (c) => {
    const s = c.env.services;
    const workspaceId = c.get("workspaceId")!;
    const id = c.req.param("id");
    const q = c.req.query();
    if (/\btext\/csv\b/i.test(c.req.header("accept") ?? "")) {
      // The first page first: a bad id or query answers in the error shape, not as a broken CSV.
      await listRecipients(s, workspaceId, id, { ...q, limit: "1" });
      return c.body(recipientsCsv(s, workspaceId, id, q.status, phoneViewOf(c)), 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="broadcast-${id}-recipients.csv"` });
    }
    return c.json(counted(c, await listRecipients(s, workspaceId, id, q)));
  });
