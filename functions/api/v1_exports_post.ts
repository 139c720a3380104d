import type { Hono } from "hono";
import { ensureMayRead } from "../../lib/exports/reads.js";
import { requesterOf } from "../../lib/exports/requester.js";
import { requestExport } from "../../lib/exports/request.js";
import { CreateExport } from "../../lib/exports/schema.js";
import { parseJsonBody } from "../../lib/parse.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs, principalOf } from "../middleware/permission.js";

/** POST /v1/exports `{kind, format?, filter?}`: counted now; above the workspace's threshold it waits for an owner (202 either way). */
export const registerExportsPost = (app: Hono<AppEnv>) =>
  app.post("/exports", needs("exports:create"), async (c) => {
    const input = parseJsonBody(CreateExport, await c.req.text());
    const p = await principalOf(c);
    ensureMayRead(p, input.kind);
    return c.json(await requestExport(c.env.services, c.get("workspaceId")!, input, requesterOf(p), apiKeyActor(c)), 202);
  });
