import type { Context } from "hono";
import { AppError } from "../../lib/errors.js";
import type { AppEnv } from "../env.js";

/** A plain HTML form post (urlencoded or multipart), as opposed to fetch with JSON. */
export const isForm = (c: Context<AppEnv>) => {
  const type = c.req.header("content-type") ?? "";
  return type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data");
};

/**
 * A dashboard action answers a plain form post with 303 to the page to show next (works
 * without JavaScript), and anything else (fetch) with JSON.
 */
export function actionDone(c: Context<AppEnv>, location: string, json: unknown, status: 200 | 201 = 200): Response {
  if (isForm(c)) return c.redirect(location, 303);
  return c.json(json, status);
}

/** An action's fields: the form's, or the JSON object's (400 invalid_json otherwise). */
export async function actionFields(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  if (isForm(c)) return (await c.req.parseBody()) as Record<string, unknown>;
  const body: unknown = await c.req.json().catch(() => undefined);
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new AppError(400, "invalid_json", "The request body must be a JSON object");
  return body as Record<string, unknown>;
}
