import type { Hono } from "hono";
import { exportAudit, exportHeaders, listAudit, type ExportFormat } from "../../lib/audit/list.js";
import type { AppEnv } from "../env.js";
import { needs } from "../middleware/permission.js";
import { counted } from "../middleware/record-read.js";

/** What the Accept header asks for: a download (CSV or JSON Lines), else the JSON page. */
function exportFormat(accept: string | undefined): ExportFormat | null {
  if (/\btext\/csv\b/i.test(accept ?? "")) return "csv";
  if (/\bapplication\/(x-)?ndjson\b|\bapplication\/jsonl\b/i.test(accept ?? "")) return "ndjson";
  return null;
}

/**
 * GET /v1/audit-log?actor=&action=&object_type=&object_id=&from=&to=&cursor=&limit=:
 * newest first. With `Accept: text/csv` or `application/x-ndjson`, the whole filtered
 * log streamed as a file instead of one page.
 */
export const registerAuditLogGet = (app: Hono<AppEnv>) =>
  app.get("/audit-log", needs("audit:read", { record: true }), async (c) => {
    const workspaceId = c.get("workspaceId")!;
    const format = exportFormat(c.req.header("accept"));
    if (!format) return c.json(counted(c, await listAudit(c.env.services, workspaceId, c.req.query())));
    const body = exportAudit(c.env.services, workspaceId, c.req.query(), format);
    return c.body(body, 200, exportHeaders(format));
  });
