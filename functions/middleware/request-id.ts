import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.js";

/** Enough for any tracing id; a longer value is cut, never stored whole. */
export const CLIENT_REQUEST_ID_MAX = 128;

/**
 * The request id is ours: generated here for every request, answered in X-Request-Id
 * and in every error. A caller's own X-Request-Id cannot choose or collide with ours;
 * it is logged beside it as `client_request_id`, printable ASCII only, bounded.
 */
export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const id = crypto.randomUUID();
  c.set("requestId", id);
  const theirs = c.req.header("x-request-id");
  if (theirs) c.set("clientRequestId", theirs.slice(0, CLIENT_REQUEST_ID_MAX).replace(/[^\x20-\x7e]/g, "?"));
  c.header("X-Request-Id", id);
  await next();
};
