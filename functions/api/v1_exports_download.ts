import type { Hono } from "hono";
import { downloadExport } from "../../lib/exports/download.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs, principalOf } from "../middleware/permission.js";

/** GET /v1/exports/{id}/download: the file, once, to the key that asked, within 24 h (409 not ready, 403 someone else, 410 gone). */
export const registerExportDownload = (app: Hono<AppEnv>) =>
  app.get("/exports/:id/download", needs("exports:create", { record: true }), async (c) => {
    const d = await downloadExport(c.env.services, c.get("workspaceId")!, c.req.param("id"), await principalOf(c), apiKeyActor(c));
    return c.body(d.body, 200, { "content-type": d.contentType, "content-disposition": `attachment; filename="${d.filename}"`, "cache-control": "no-store" });
  });
