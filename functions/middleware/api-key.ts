import type { Context, MiddlewareHandler } from "hono";
import { authenticate } from "../../lib/apikeys/authenticate.js";
import type { AppEnv } from "../env.js";

/**
 * Every /v1 route, before anything else: the key, its revocation and its rate. Sends
 * count in the send gate's bucket for the key (lib/gate/request.ts).
 */
export const requireApiKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const send = c.req.method === "POST" && c.req.path === "/v1/messages";
  const auth = await authenticate(c.env.services, c.req.header("authorization"), c.env.ip ?? "unknown", send ? "send" : "other");
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
