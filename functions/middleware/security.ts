import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { secureHeaders } from "hono/secure-headers";
import { AppError } from "../../lib/errors.js";
import type { AppEnv } from "../env.js";

export const MAX_BODY_BYTES = 64 * 1024;

export const securityHeaders: MiddlewareHandler<AppEnv> = secureHeaders({
  strictTransportSecurity: "max-age=63072000; includeSubDomains; preload",
  xFrameOptions: "DENY",
  xContentTypeOptions: "nosniff",
  referrerPolicy: "no-referrer",
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  crossOriginResourcePolicy: "same-origin",
});

export const META_WEBHOOK_MAX_BYTES = 4 * 1024 * 1024;

const limit = (maxSize: number): MiddlewareHandler<AppEnv> =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError(413, "payload_too_large", `Request bodies are limited to ${maxSize} bytes`);
    },
  });

const apiLimit = limit(MAX_BODY_BYTES);
const metaLimit = limit(META_WEBHOOK_MAX_BYTES);

/**
 * Checked on Content-Length before any parsing, and counted while streaming otherwise.
 * Meta batches many statuses and messages into one webhook, so /webhooks/meta gets a
 * larger bound: refusing a real delivery would lose statuses and opt-outs.
 */
export const limitBody: MiddlewareHandler<AppEnv> = (c, next) => (c.req.path.startsWith("/webhooks/meta") ? metaLimit(c, next) : apiLimit(c, next));
