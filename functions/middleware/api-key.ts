import type { MiddlewareHandler } from "hono";
import { authenticateApiKey } from "../../lib/apikeys/auth.js";
import type { AppEnv } from "../env.js";

export const requireApiKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const auth = await authenticateApiKey(c.env.services, c.req.header("authorization"));
  c.set("auth", auth);
  c.set("workspaceId", auth.workspaceId);
  await next();
};
