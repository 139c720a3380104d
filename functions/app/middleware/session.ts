import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../../../lib/errors.js";
import type { SessionAuth } from "../../../lib/sessions/auth.js";
import { clearSessionCookie, readSessionCookie } from "../../../lib/sessions/cookie.js";
import { csrfMatches } from "../../../lib/sessions/csrf.js";
import { lookupSession } from "../../../lib/sessions/lookup.js";
import { enforceAllowlist } from "../../../lib/network/allowlist.js";
import type { AppEnv } from "../../env.js";

export const SIGN_IN_PATH = "/app/sign-in";
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
export const isStateChanging = (method: string) => !SAFE.has(method);

const wantsPage = (c: Context<AppEnv>) => SAFE.has(c.req.method) && (c.req.header("accept") ?? "").includes("text/html");

/** The CSRF token a request carries: header X-CSRF-Token, else the form field `csrf`. */
async function presentedCsrf(c: Context<AppEnv>): Promise<string | undefined> {
  const header = c.req.header("x-csrf-token");
  if (header) return header;
  const type = c.req.header("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data")) return undefined;
  // Parsed once and kept by Hono: the handler reads the same body again.
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  return typeof form.csrf === "string" ? form.csrf : undefined;
}

/**
 * Every signed-in /app route: the cookie's session, from the database on this request
 * (lib/sessions/lookup.ts), set as c.get("session"). A state-changing request must also
 * carry the session's CSRF token (the Origin check ran before, functions/app/middleware/browser.ts).
 * No session: a page request goes to sign-in (303), anything else gets 401
 * session_required / session_expired; a stale cookie is cleared either way.
 */
export const requireSession: MiddlewareHandler<AppEnv> = async (c, next) => {
  const s = c.env.services;
  const token = readSessionCookie(c.req.header("cookie"));
  let session: SessionAuth;
  try {
    session = await lookupSession(s, token, { ip: c.env.ip ?? null, userAgent: c.req.header("user-agent") ?? null });
  } catch (err) {
    if (!(err instanceof AppError) || err.status !== 401) throw err;
    if (wantsPage(c)) {
      const next = encodeURIComponent(c.req.path + (new URL(c.req.url).search || ""));
      c.header("Set-Cookie", clearSessionCookie());
      return c.redirect(`${SIGN_IN_PATH}?next=${next}`, 303);
    }
    throw token ? new AppError(err.status, err.code, err.message, undefined, { "Set-Cookie": clearSessionCookie() }) : err;
  }
  // The workspace's IP allow-list before anything else is done for the session.
  if (session.workspaceId) await enforceAllowlist(s, session.workspaceId, c.env.ip);
  if (isStateChanging(c.req.method) && !csrfMatches(session.csrfToken, await presentedCsrf(c))) {
    throw new AppError(403, "csrf_failed", "This request needs the session's CSRF token (header X-CSRF-Token or form field csrf)");
  }
  c.set("session", session);
  if (session.workspaceId) c.set("workspaceId", session.workspaceId);
  await next();
};

/** The signed-in person, in a handler behind requireSession. */
export const sessionOf = (c: Context<AppEnv>): SessionAuth => {
  const s = c.get("session");
  if (!s) throw new AppError(500, "internal_error", "route is missing requireSession");
  return s;
};

/** Who did it, for the audit log: the person, from where. */
export const sessionActor = (c: Context<AppEnv>) => ({
  actorType: "user" as const,
  actorId: sessionOf(c).userId,
  ip: c.env.ip ?? null,
  userAgent: c.req.header("user-agent") ?? null,
});
