import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { concatBytes } from "../../lib/bytes.js";
import { AppError } from "../../lib/errors.js";
import { MEDIA_MAX_BODY_BYTES } from "../../lib/media/limits.js";
import type { AppEnv } from "../env.js";

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The headers of hono/secure-headers with our choices (HSTS preload, DENY, a CSP that
 * allows nothing), set before the handler runs. Setting them on the finished response,
 * as that middleware does, makes the Node adapter build a full web Response for every
 * request. test/http-surface.test.ts holds this list equal to the middleware's.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Origin-Agent-Cluster": "?1",
  "Referrer-Policy": "no-referrer",
  "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
  "X-Content-Type-Options": "nosniff",
  "X-DNS-Prefetch-Control": "off",
  "X-Download-Options": "noopen",
  "X-Frame-Options": "DENY",
  "X-Permitted-Cross-Domain-Policies": "none",
  "X-XSS-Protection": "0",
};
const SECURITY_ENTRIES = Object.entries(SECURITY_HEADERS);

export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  for (const [k, v] of SECURITY_ENTRIES) c.header(k, v);
  // API responses carry message content and phone numbers: never kept by a shared cache.
  if (c.req.path.startsWith("/v1/")) c.header("Cache-Control", "no-store");
  await next();
};

export const META_WEBHOOK_MAX_BYTES = 4 * 1024 * 1024;

export const tooLarge = (maxSize: number) => new AppError(413, "payload_too_large", `Request bodies are limited to ${maxSize} bytes`);

const countWhileStreaming = (maxSize: number): MiddlewareHandler<AppEnv> =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge(maxSize);
    },
  });

/**
 * A declared length is checked as it is (Node's parser and workerd both hold the body to
 * it), without touching the body: asking for the body stream first makes the Node
 * adapter build a full web Request, which cost ~15 % of the accept path. Bodies without
 * a length (chunked) are counted while they stream.
 */
const limit = (maxSize: number, streamedByHandler = false): MiddlewareHandler<AppEnv> => {
  const streamed = countWhileStreaming(maxSize);
  return (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined) return streamedByHandler ? next() : streamed(c, next);
    if (Number(length) > maxSize) throw tooLarge(maxSize);
    return next();
  };
};

/** A contacts CSV of a million rows; parsed as it streams, never held whole. */
export const IMPORT_MAX_BYTES = 256 * 1024 * 1024;

const apiLimit = limit(MAX_BODY_BYTES);
// Counting a streamed CSV here would mean holding it whole (hono's bodyLimit buffers a body
// without a length): the import handler counts it as it parses (countedBody).
const importLimit = limit(IMPORT_MAX_BYTES, true);
// Counting a streamed body means reading it; Meta's webhook reads nothing before it has
// seen a well-formed signature header, so it bounds its own body (readAtMost).
const metaLimit = limit(META_WEBHOOK_MAX_BYTES, true);
// A media upload streams on to Meta: its handler counts it against the type's limit.
const mediaLimit = limit(MEDIA_MAX_BODY_BYTES, true);
const MEDIA_UPLOAD_PATH = /^\/(?:v1\/media|v\d+\.\d+\/[^/]+\/media)\/?$/;

/** A body passed on as it streams, counted as it is read: past maxSize the read fails with 413. */
export function countedBody(body: ReadableStream<Uint8Array> | null, maxSize: number): ReadableStream<Uint8Array> | null {
  let size = 0;
  return (
    body?.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          size += chunk.length;
          if (size > maxSize) ctl.error(tooLarge(maxSize));
          else ctl.enqueue(chunk);
        },
      }),
    ) ?? null
  );
}

/** The body, counted while it streams: 413 past maxSize, and nothing more is read. */
export async function readAtMost(body: ReadableStream<Uint8Array> | null, maxSize: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxSize) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxSize);
    }
    chunks.push(value);
  }
  return concatBytes(chunks, size);
}

/**
 * Checked on Content-Length before any parsing, and counted while streaming otherwise.
 * Meta batches many statuses and messages into one webhook, so /webhooks/meta gets a
 * larger bound: refusing a real delivery would lose statuses and opt-outs.
 */
export const limitBody: MiddlewareHandler<AppEnv> = (c, next) =>
  c.req.path.startsWith("/webhooks/meta") ? metaLimit(c, next) : c.req.path === "/v1/contacts/imports" ? importLimit(c, next) : MEDIA_UPLOAD_PATH.test(c.req.path) ? mediaLimit(c, next) : apiLimit(c, next);
