import type { Context, MiddlewareHandler } from "hono";
import type { ApiKeyAuth } from "../../lib/apikeys/auth.js";
import { authenticate } from "../../lib/apikeys/authenticate.js";
import { isSupportBearer } from "../../lib/support/authenticate.js";
import type { AppEnv } from "../env.js";
import { supportAccess } from "./support.js";

/**
 * Every /v1 route, before anything else: the key, its revocation and its rate. Sends
 * count in the send gate's bucket for the key (lib/gate/request.ts). A support token
 * (`sgr_…`) is an operator's approved read access instead (./support.ts).
 */
export const requireApiKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (isSupportBearer(c.req.header("authorization"))) return supportAccess(c, next);
  const send = c.req.method === "POST" && c.req.path === "/v1/messages";
  const auth = await authenticate(c.env.services, c.req.header("authorization"), c.env.ip ?? "unknown", send ? "send" : "other");
  setKeyPrincipal(c, auth);
  await next();
};

/** The key as the request's principal: what its scopes allow (functions/middleware/permission.ts). */
export function setKeyPrincipal(c: Context<AppEnv>, auth: ApiKeyAuth): void {
  c.set("auth", auth);
  c.set("workspaceId", auth.workspaceId);
  c.set("principal", { kind: "api_key", workspaceId: auth.workspaceId, keyId: auth.keyId, scopes: auth.scopes });
}

/** Who did it, for the audit log: the API key, from where. */
export const apiKeyActor = (c: Context<AppEnv>) => ({
  actorType: "api_key" as const,
  actorId: c.get("auth")!.keyId,
  ip: c.env.ip ?? null,
  userAgent: c.req.header("user-agent") ?? null,
});
