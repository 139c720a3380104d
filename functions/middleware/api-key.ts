import type { Context, MiddlewareHandler } from "hono";
import { identifyApiKey } from "../../lib/apikeys/auth.js";
import { passRequestGate } from "../../lib/gate/request.js";
import type { AppEnv } from "../env.js";

/**
 * Every /v1 route: who is calling, then is that key still valid and within its rate,
 * in one Redis round trip. POST /v1/messages does both inside its own send gate
 * (lib/gate), so nothing is paid twice on the hot path.
 */
export const requireApiKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const auth = await identifyApiKey(c.env.services, c.req.header("authorization"), c.env.ip ?? "unknown");
  const gateChecksRevocation = c.req.method === "POST" && c.req.path === "/v1/messages";
  if (!gateChecksRevocation) await passRequestGate(c.env.services, auth);
  c.set("auth", auth);
  c.set("workspaceId", auth.workspaceId);
  await next();
};

/** Who did it, for the audit log: the API key, from where. */
export const apiKeyActor = (c: Context<AppEnv>) => ({
  actorType: "api_key" as const,
  actorId: c.get("auth")!.keyId,
  ip: c.env.ip ?? null,
  userAgent: c.req.header("user-agent") ?? null,
});
