import type { Context, Hono } from "hono";
import type { AppEnv } from "../../env.js";
import { open, person } from "../../middleware/permission.js";
import { requireSecondFactor } from "../middleware/second-factor.js";
import { requireSession } from "../middleware/session.js";
import { pagePermission } from "../permissions.js";

type Handler = (c: Context<AppEnv>) => Response | Promise<Response>;

/**
 * How a page registers itself. Signed-in pages get requireSession (the session, and the
 * CSRF check of every POST) in their own route chain, so a page cannot be added without
 * it and nothing mounted beside the pages is touched, then the permission the route
 * table gives the path (functions/app/permissions.ts). Public pages are declared open.
 */
export interface PageRoutes {
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler): void;
}

// A session still lacking a second factor its person needs is sent to the set-up page from
// every member page (functions/app/middleware/second-factor.ts).
export const memberRoutes = (app: Hono<AppEnv>): PageRoutes => ({
  get: (path, handler) => void app.get(path, requireSession, requireSecondFactor, pagePermission("GET", path), handler),
  post: (path, handler) => void app.post(path, requireSession, requireSecondFactor, pagePermission("POST", path), handler),
});

/** The set-up page (/app/security/setup): a session that still lacks its second factor is enough. */
export const setupRoutes = (app: Hono<AppEnv>): PageRoutes => ({
  get: (path, handler) => void app.get(path, requireSession, person("setting up the person's own second factor"), handler),
  post: (path, handler) => void app.post(path, requireSession, person("setting up the person's own second factor"), handler),
});

export const publicRoutes = (app: Hono<AppEnv>): PageRoutes => ({
  get: (path, handler) => void app.get(path, open("before sign-in: the sign-in page and its stylesheet"), handler),
  post: (path, handler) => void app.post(path, open("before sign-in"), handler),
});
