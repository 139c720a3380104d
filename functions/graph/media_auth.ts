import type { Context } from "hono";
import { authenticate } from "../../lib/apikeys/authenticate.js";
import type { AppEnv } from "../env.js";

/** A Sandesh API key as the Graph access token (header, or `access_token` as Graph also takes it). */
export async function graphKey(c: Context<AppEnv>) {
  const token = c.req.query("access_token");
  const auth = await authenticate(c.env.services, c.req.header("authorization") ?? (token ? `Bearer ${token}` : undefined), c.env.ip ?? "unknown", "other");
  c.set("workspaceId", auth.workspaceId);
  return { auth, actor: { actorType: "api_key" as const, actorId: auth.keyId, ip: c.env.ip ?? null, userAgent: c.req.header("user-agent") ?? null } };
}
