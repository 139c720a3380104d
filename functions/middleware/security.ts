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

/** Checked on Content-Length before any parsing, and counted while streaming otherwise. */
export const limitBody: MiddlewareHandler<AppEnv> = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new AppError(413, "payload_too_large", `Request bodies are limited to ${MAX_BODY_BYTES} bytes`);
  },
});
