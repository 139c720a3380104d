import type { Context } from "hono";
import type { FactorActor } from "../../../../lib/factors/actor.js";
import type { AppEnv } from "../../../env.js";
import { sessionOf } from "../../middleware/session.js";

/** The signed-in person as the factor functions take them: who, in which workspace, from where. */
export function factorActor(c: Context<AppEnv>): FactorActor {
  const s = sessionOf(c);
  return { userId: s.userId, email: s.email, workspaceId: s.workspaceId, ip: c.env.ip ?? null, userAgent: c.req.header("user-agent") ?? null };
}

export const whereOf = (c: Context<AppEnv>) => ({ ip: c.env.ip ?? null, userAgent: c.req.header("user-agent") ?? null });
