import type { Hono } from "hono";
import { parseJsonBody } from "../../lib/parse.js";
import { AllowlistInput, getAllowlist, setAllowlist } from "../../lib/network/set-allowlist.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** GET|PUT /v1/workspace/ip-allowlist `{ranges: ["203.0.113.0/24", "2001:db8::/32"]}`: where keys and sessions may come from (empty: anywhere). */
export const registerWorkspaceIpAllowlist = (app: Hono<AppEnv>) => {
  app.get("/workspace/ip-allowlist", needs("settings:read"), async (c) => c.json(await getAllowlist(c.env.services, c.get("workspaceId")!)));
  app.put("/workspace/ip-allowlist", needs("settings:write"), async (c) => {
    const input = parseJsonBody(AllowlistInput, await c.req.text());
    return c.json(await setAllowlist(c.env.services, c.get("workspaceId")!, input.ranges, c.env.ip, apiKeyActor(c)));
  });
};
