import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../env.js";

/** One JSON line per request. Only named fields are logged: never headers or bodies. */
export const accessLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const start = performance.now();
  await next();
  c.env.services.logger.info("request", {
    method: c.req.method,
    route: routePath(c),
    status: c.res.status,
    ms: Math.round((performance.now() - start) * 10) / 10,
    request_id: c.get("requestId"),
    ...(c.get("clientRequestId") !== undefined ? { client_request_id: c.get("clientRequestId") } : {}),
    workspace_id: c.get("workspaceId") ?? null,
  });
};
