import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, isConnectionFailure, temporarilyUnavailable } from "../../lib/errors.js";
import type { AppEnv } from "../env.js";
import { GRAPH_MESSAGES_PATH, renderGraphError } from "../graph/errors.js";
import { GRAPH_MEDIA_PATH } from "../graph/media_errors.js";

/** The one error shape: `{ error: { code, message, details?, request_id } }`. */
export function renderError(err: Error, c: Context<AppEnv>) {
  // The Graph-compatible route answers in Graph's envelope, whatever refused the request.
  const graph = GRAPH_MESSAGES_PATH.exec(c.req.path) ?? GRAPH_MEDIA_PATH.exec(c.req.path);
  if (graph) return renderGraphError(err, c, graph[1]!);
  const requestId = c.get("requestId") ?? "";
  let e: AppError;
  if (err instanceof AppError) e = err;
  else if (err instanceof HTTPException) e = new AppError(err.status, err.status === 413 ? "payload_too_large" : "bad_request", err.message || "Bad request");
  else if (isConnectionFailure(err)) {
    // The database went away: the caller may retry in a moment; nothing here is a bug.
    c.env.services.logger.warn("database unavailable", { request_id: requestId, error: err });
    e = temporarilyUnavailable("The service is temporarily unavailable; retry shortly");
  } else {
    c.env.services.logger.error("unhandled error", { request_id: requestId, error: err });
    e = new AppError(500, "internal_error", "Something went wrong on our side; the request id identifies it");
  }
  if (e.status >= 500 && err instanceof AppError) {
    c.env.services.logger.error("request failed", { request_id: requestId, code: e.code, error: err });
    // Internals (key versions, invariants) stay in the log; the caller gets the code.
    if (e.code !== "temporarily_unavailable") e = new AppError(e.status, e.code, "Something went wrong on our side; the request id identifies it", undefined, e.headers);
  }
  for (const [k, v] of Object.entries(e.headers ?? {})) c.header(k, v);
  const body = { error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}), request_id: requestId } };
  return c.json(body, e.status as ContentfulStatusCode);
}
