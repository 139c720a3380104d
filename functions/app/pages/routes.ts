import type { Context, Hono } from "hono";
import type { AppEnv } from "../../env.js";
import { requireSession } from "../middleware/session.js";

type Handler = (c: Context<AppEnv>) => Response | Promise<Response>;

/**
 * How a page registers itself. Signed-in pages get requireSession (the session, and the
 * CSRF check of every POST) in their own route chain, so a page cannot be added without
 * it and nothing mounted beside the pages is touched.
 */
export interface PageRoutes {
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler): void;
}

export const memberRoutes = (app: Hono<AppEnv>): PageRoutes => ({
  get: (path, handler) => void app.get(path, requireSession, handler),
  post: (path, handler) => void app.post(path, requireSession, handler),
});

export const publicRoutes = (app: Hono<AppEnv>): PageRoutes => ({
  get: (path, handler) => void app.get(path, handler),
  post: (path, handler) => void app.post(path, handler),
});
