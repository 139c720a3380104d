import type { Context } from "hono";
import type { AppEnv } from "../env.js";

/**
 * A dashboard action answers a plain form post with 303 to the page to show next (works
 * without JavaScript), and anything else (fetch) with JSON.
 */
export function actionDone(c: Context<AppEnv>, location: string, json: unknown, status: 200 | 201 = 200): Response {
  const type = c.req.header("content-type") ?? "";
  if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")) return c.redirect(location, 303);
  return c.json(json, status);
}
