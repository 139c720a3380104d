import type { Context, MiddlewareHandler } from "hono";
import { authenticate } from "../../lib/apikeys/authenticate.js";
import type { RequestBucket } from "../../lib/gate/request.js";
import type { AppEnv } from "../env.js";
import { setKeyPrincipal } from "../middleware/api-key.js";

/**
 * A Sandesh API key as the Graph access token (header, or `access_token` as Graph also
 * takes it), before the route's permission (`needs`). Sends count in the send bucket,
 * as POST /v1/messages does.
 */
export const graphKey =
  (bucket: RequestBucket = "other"): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const token = c.req.query("access_token");
    const auth = await authenticate(c.env.services, c.req.header("authorization") ?? (token ? `Bearer ${token}` : undefined), c.env.ip ?? "unknown", bucket);
    setKeyPrincipal(c, auth);
    await next();
  };

/** Who did it, for the audit log: the key that authenticated this Graph request. */
export const graphActor = (c: Context<AppEnv>) => ({
  actorType: "api_key" as const,
  actorId: c.get("auth")!.keyId,
  ip: c.env.ip ?? null,
  userAgent: c.req.header("user-agent") ?? null,
});
