import type { ApiKeyAuth } from "../lib/apikeys/auth.js";
import type { Services } from "../lib/context.js";

/** The Hono environment every app shares: services arrive as a binding, per request. */
export type AppEnv = {
  Bindings: { services: Services };
  Variables: { requestId: string; auth?: ApiKeyAuth; workspaceId?: string };
};
