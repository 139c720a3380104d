import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "./env.js";

const TIMEOUT_MS = 2000;

async function probe(check: () => Promise<unknown>): Promise<"ok" | "down"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return "ok";
  } catch {
    return "down";
  } finally {
    clearTimeout(timer);
  }
}

/** GET /healthz: 200 when PostgreSQL and Redis both answer, else 503 naming what is down. */
export const health = new Hono<AppEnv>().get("/healthz", async (c) => {
  const s = c.env.services;
  const [database, redis] = await Promise.all([
    probe(() => s.db.execute(sql`select 1`)),
    probe(async () => {
      if (!(await s.redis.ping())) throw new Error("no PONG");
    }),
  ]);
  const ok = database === "ok" && redis === "ok";
  c.header("Cache-Control", "no-store");
  return c.json({ status: ok ? "ok" : "unavailable", checks: { database, redis } }, ok ? 200 : 503);
});
