import type { Context } from "hono";
import { AppError } from "../../../../lib/errors.js";
import type { AppEnv } from "../../../env.js";

/**
 * The fields of a form post (application/x-www-form-urlencoded or multipart, as a page
 * without JavaScript sends) or of a JSON body (fetch). requireSession already read the
 * form for its `csrf` field; Hono keeps the parsed body, so this reads it again for free.
 */
export async function actionFields(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const type = c.req.header("content-type") ?? "";
  if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")) return c.req.parseBody();
  const raw = await c.req.text();
  if (!raw.trim()) return {};
  try {
    const json: unknown = JSON.parse(raw);
    if (json && typeof json === "object" && !Array.isArray(json)) return json as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new AppError(400, "invalid_json", "The request body is not a JSON object");
}

/** A place inside the dashboard to go next; anything else (another site, `//host`) is the overview. */
export const dashboardPath = (v: unknown, fallback = "/app"): string =>
  typeof v === "string" && /^\/app(?:[/?#]|$)/.test(v) && !v.startsWith("//") ? v : fallback;
