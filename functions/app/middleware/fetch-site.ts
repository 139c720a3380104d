import type { Context } from "hono";
import { AppError } from "../../../lib/errors.js";
import type { AppEnv } from "../../env.js";

/**
 * A one-time GET (a download used up by being fetched) must be started from the dashboard
 * itself or typed in: the session cookie is SameSite=Lax, so a link on another site would
 * arrive signed in and spend it. Browsers say where a request comes from in Sec-Fetch-Site:
 * `none` (typed, a bookmark) and `same-origin` pass; `cross-site` and `same-site` (another
 * origin of the same site, a sibling host) are refused, whatever Origin they carry. No
 * header (a client that does not send it) passes: the cookie and the route's checks decide.
 * Refused before anything is read or changed: 403 origin_forbidden, the page says why.
 */
export function refuseForeignNavigation(c: Context<AppEnv>, what: string): void {
  const site = c.req.header("sec-fetch-site")?.toLowerCase();
  if (site === undefined || site === "none" || site === "same-origin") return;
  throw new AppError(
    403,
    "origin_forbidden",
    `This ${what} was opened from another site, so it was not given: it can be downloaded only once, and only from the dashboard. It is still there: open Exports in the dashboard and download it from there.`,
    { sec_fetch_site: site },
  );
}
