import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { AppError } from "../../lib/errors.js";
import { authenticateSupport } from "../../lib/support/authenticate.js";
import { recordSupportRead } from "../../lib/support/record-read.js";
import type { AppEnv } from "../env.js";

/**
 * A /v1 request with `Authorization: Bearer sgr_…` (functions/middleware/api-key.ts sends
 * it here): the grant checked in the database on every request, the workspace's
 * allow-list, then the route under the support principal (read-only, numbers masked:
 * lib/permissions). Anything but a read is refused before the route runs. Every request
 * under the grant leaves an audit row with its route and status, written before the
 * answer leaves: a row that cannot be written turns the answer into an error.
 */
export const supportAccess: MiddlewareHandler<AppEnv> = async (c, next) => {
  const s = c.env.services;
  const grant = await authenticateSupport(s, c.req.header("authorization"), c.env.ip);
  c.set("workspaceId", grant.workspaceId);
  c.set("principal", { kind: "support", workspaceId: grant.workspaceId, grantId: grant.grantId });
  const entry = { method: c.req.method, path: c.req.path, ip: c.env.ip ?? null, userAgent: c.req.header("user-agent") ?? null };
  if (c.req.method !== "GET" && c.req.method !== "HEAD") {
    await recordSupportRead(s, grant, { ...entry, route: c.req.path, status: 403 });
    throw new AppError(403, "forbidden", "A support grant only reads: it may not send, change or delete anything", { missing: [] });
  }
  await next();
  await recordSupportRead(s, grant, { ...entry, route: routePath(c), status: c.res.status });
};
