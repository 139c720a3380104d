import type { MiddlewareHandler } from "hono";
import { AppError } from "../../../lib/errors.js";
import type { AppEnv } from "../../env.js";
import { isStateChanging } from "./session.js";

/**
 * The dashboard's Content-Security-Policy: the global one (functions/middleware/security.ts)
 * allows nothing at all; pages need their own scripts and styles, and inline ones only
 * with this response's nonce. Nothing from another origin, no plugins, no framing,
 * forms post only here. Every other security header (HSTS, nosniff, DENY, …) stays.
 */
export const dashboardCsp = (nonce: string) =>
  [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");

function nonce(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  let bin = "";
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin);
}

const CORS_METHODS = "GET, POST, PUT, PATCH, DELETE";
const CORS_HEADERS = "Content-Type, X-CSRF-Token";

/**
 * Before any /app route: browsers only.
 * - CORS answers only the allowed origins (PUBLIC_URL + CORS_ORIGINS), with credentials;
 *   any other origin gets no CORS header at all, and its preflight a 403.
 * - A state-changing request must come with an Origin on that list: a missing, `null` or
 *   foreign Origin is refused before the route runs (403 origin_forbidden). Browsers
 *   send Origin on every POST, same-origin ones included.
 * - Every answer: the dashboard CSP with a fresh nonce, and no-store.
 */
export const browserGuard: MiddlewareHandler<AppEnv> = async (c, next) => {
  const allowed = c.env.services.config.allowedOrigins;
  const origin = c.req.header("origin");
  const known = origin !== undefined && allowed.includes(origin);
  const n = nonce();
  c.set("cspNonce", n);
  c.header("Content-Security-Policy", dashboardCsp(n));
  // no-referrer (the global choice) makes a browser send `Origin: null` with a page's own
  // form posts, which the Origin check must refuse; same-origin keeps the real Origin on
  // them and still sends no Referer (invitation links carry a token) to any other origin.
  c.header("Referrer-Policy", "same-origin");
  c.header("Cache-Control", "no-store");
  c.header("Vary", "Origin", { append: true });
  if (known) {
    c.header("Access-Control-Allow-Origin", origin);
    c.header("Access-Control-Allow-Credentials", "true");
  }
  if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method")) {
    if (!known) throw new AppError(403, "origin_forbidden", "This origin may not call the dashboard");
    c.header("Access-Control-Allow-Methods", CORS_METHODS);
    c.header("Access-Control-Allow-Headers", CORS_HEADERS);
    c.header("Access-Control-Max-Age", "600");
    return c.body(null, 204);
  }
  if (isStateChanging(c.req.method) && !known) {
    throw new AppError(403, "origin_forbidden", origin === undefined ? "A state-changing request must carry an Origin header" : "Requests from this origin are not allowed");
  }
  await next();
};
