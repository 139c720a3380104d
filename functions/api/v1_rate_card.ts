import type { Hono } from "hono";
import { getRateCard, importRateCard } from "../../lib/broadcasts/rates.js";
import type { AppEnv } from "../env.js";
import { apiKeyActor } from "../middleware/api-key.js";
import { needs } from "../middleware/permission.js";

/** PUT /v1/rate-card (text/csv: category,country_code,price[,currency]) replaces the card; GET /v1/rate-card lists it. */
export const registerRateCard = (app: Hono<AppEnv>) => {
  app.put("/rate-card", needs("settings:write"), async (c) => c.json(await importRateCard(c.env.services, c.get("workspaceId")!, await c.req.text(), apiKeyActor(c))));
  app.get("/rate-card", needs("settings:read"), async (c) => c.json(await getRateCard(c.env.services, c.get("workspaceId")!)));
};
