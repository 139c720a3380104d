import type { Hono } from "hono";
import { getThreshold, setThreshold, ThresholdInput } from "../../lib/exports/threshold.js";
import { parseJsonBody } from "../../lib/parse.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { can } from "../../lib/permissions/principal.js";
import { needs, principalOf } from "../middleware/permission.js";

/**
 * GET|PUT /v1/workspace/export-approval `{export_approval_threshold: N}`: exports of more
 * rows need an owner's approval. A key lowers it; raising it is an owner's (403 forbidden
 * here: keys never hold approvals:write), on the dashboard's Exports page.
 */
export const registerWorkspaceExportApproval = (app: Hono<AppEnv>) => {
  app.get("/workspace/export-approval", needs("settings:read"), async (c) => c.json(await getThreshold(c.env.services, c.get("workspaceId")!)));
  app.put("/workspace/export-approval", needs("settings:write"), async (c) => {
    const input = parseJsonBody(ThresholdInput, await c.req.text());
    return c.json(await setThreshold(c.env.services, c.get("workspaceId")!, input.export_approval_threshold, apiKeyActor(c), can(await principalOf(c), "approvals:write")));
  });
};
