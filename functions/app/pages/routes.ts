import type { Context, Hono } from "hono";
import type { AppEnv } from "../../env.js";
import { open } from "../../middleware/permission.js";
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

export const memberRoutes = (app: Hono<AppEnv>): PageRoutes => ({
  get: (path, handler) => void app.get(path, requireSession, pagePermission("GET", path), handler),
  post: (path, handler) => void app.post(path, requireSession, pagePermission("POST", path), handler),
});

export const publicRoutes = (app: Hono<AppEnv>): PageRoutes => ({
  get: (path, handler) => void app.get(path, open("before sign-in: the sign-in page and its stylesheet"), handler),
  post: (path, handler) => void app.post(path, open("before sign-in"), handler),
});
