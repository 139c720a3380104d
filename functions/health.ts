import { Hono } from "hono";
import { vaultKeyProblems } from "../lib/vault/key-check.js";
import type { AppEnv } from "./env.js";
import { open } from "./middleware/permission.js";

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

/**
 * GET /healthz: 200 when PostgreSQL and Redis answer, the vault keys match and the
 * message writer is sound (its own connection answers, no flush past its deadline),
 * else 503 naming what is not.
 */
export const health = new Hono<AppEnv>().get("/healthz", open("the load balancer's probe: says only what is up"), async (c) => {
  const s = c.env.services;
  let keyProblems: string[] = [];
  const [database, redis, writer] = await Promise.all([
    // The vault's key checks ride on the database probe: the configured MASTER_KEK(s) must match.
    probe(async () => void (keyProblems = await vaultKeyProblems(s.db, s.vault))),
    probe(async () => {
      if (!(await s.redis.ping())) throw new Error("no PONG");
    }),
    probe(async () => {
      if ((await s.messageWriter.check()) !== "ok") throw new Error("writer down");
    }),
  ]);
  const vault = database !== "ok" ? "unknown" : keyProblems.length ? "mismatch" : "ok";
  const ok = database === "ok" && redis === "ok" && vault === "ok" && writer === "ok";
  c.header("Cache-Control", "no-store");
  return c.json({ status: ok ? "ok" : "unavailable", checks: { database, redis, vault, writer }, ...(keyProblems.length ? { problems: keyProblems } : {}) }, ok ? 200 : 503);
});
