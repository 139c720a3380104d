import type { ApiKeyAuth } from "../lib/apikeys/auth.js";
import type { Services } from "../lib/context.js";
import type { SessionAuth } from "../lib/sessions/auth.js";
import type { Principal } from "../lib/permissions/principal.js";

/** The Hono environment every app shares: services arrive as a binding, per request. */
export type AppEnv = {
  /** `ip` is the client address as the entry point knows it (socket, or cf-connecting-ip in a Worker). */
  Bindings: { services: Services; ip?: string };
  Variables: {
    requestId: string;
    clientRequestId?: string;
    auth?: ApiKeyAuth;
    workspaceId?: string;
    /** Who is asking, for permissions (functions/middleware/permission.ts): the key, or the member. */
    principal?: Principal;
    /** /app: the signed-in person, set by requireSession (functions/app/middleware/session.ts). */
    session?: SessionAuth;
    /** /app: this response's CSP nonce; every inline <script>/<style> the page emits carries it. */
    cspNonce?: string;
    /** A read of personal data: how many rows its answer carried (its data_access record, ./middleware/record-read.ts). */
    readCount?: number;
  };
};
