import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, isConnectionFailure } from "../../../lib/errors.js";
import type { AppEnv } from "../../env.js";
import { Bare } from "./layout.js";

const TITLES: Record<number, string> = { 400: "Bad request", 401: "Sign in first", 403: "Not allowed", 404: "Not found", 409: "Not possible now", 413: "Too large", 422: "Not valid", 410: "Link not valid", 429: "Too many requests", 503: "Unavailable" };

/** The dashboard page a refused form was posted from (same origin as the post's checked Origin), to go back to. */
function formPage(c: Context<AppEnv>): string | null {
  const origin = c.req.header("origin");
  const referer = c.req.header("referer");
  if (c.req.method !== "POST" || !origin || !referer || !URL.canParse(referer)) return null;
  const from = new URL(referer);
  return from.origin === origin && /^\/app(?:\/|$)/.test(from.pathname) ? from.pathname : null;
}

/**
 * The dashboard's errors are pages, not JSON: the same status the API would answer, a
 * sentence a person can act on, and the request id to quote. Internals stay in the log.
 * A refused form links back to the page it was posted from.
 */
export function renderPageError(err: Error, c: Context<AppEnv>) {
  const requestId = c.get("requestId") ?? "";
  let status = 500;
  let message = "Something went wrong on our side; the request id identifies it.";
  if (err instanceof AppError && err.status < 500) {
    status = err.status;
    message = err.message;
    for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
  } else if (err instanceof HTTPException && err.status < 500) {
    status = err.status;
    message = err.status === 413 ? "What was sent is too large." : "The request could not be read.";
  } else if (isConnectionFailure(err)) {
    status = 503;
    message = "The service is temporarily unavailable; try again in a moment.";
    c.env.services.logger.warn("database unavailable", { request_id: requestId, error: err });
  } else {
    c.env.services.logger.error("dashboard page failed", { request_id: requestId, error: err });
  }
  const title = TITLES[status] ?? "Something went wrong";
  const back = formPage(c);
  return c.html(
    <Bare title={title}>
      <h1>{title}</h1>
      <p>{message}</p>
      <p class="muted">
        Request id: <code>{requestId}</code>
      </p>
      <p>{status === 401 ? <a href="/app/sign-in">Sign in</a> : back ? <a href={back}>Back</a> : <a href="/app">Back to the dashboard</a>}</p>
    </Bare>,
    status as ContentfulStatusCode,
  );
}
