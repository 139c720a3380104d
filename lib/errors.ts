/**
 * One error model. Handlers and lib/ throw `AppError`; the app's onError renders
 * `{ error: { code, message, details?, request_id } }`. Codes are stable API.
 */
export type ErrorCode =
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "validation_failed"
  | "payload_too_large"
  | "rate_limited"
  | "conflict"
  | "dependency_unavailable"
  | "vault_decrypt_failed"
  | "internal_error"
  | (string & {});

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const unauthorized = (message = "A valid API key is required: Authorization: Bearer sk_…") =>
  new AppError(401, "unauthorized", message);
export const notFound = (what: string) => new AppError(404, "not_found", `${what} not found`);
export const validationFailed = (details: unknown, message = "The request is not valid") =>
  new AppError(422, "validation_failed", message, details);

/** 503 + Retry-After: a dependency is away; the same request may succeed in a moment. */
export const temporarilyUnavailable = (message: string, retryAfterS = 1) =>
  new AppError(503, "temporarily_unavailable", message, undefined, { "Retry-After": String(retryAfterS) });

// Node's socket errors, postgres.js's connection errors and the writer's lost connection.
const CONNECTION_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN",
  "CONNECTION_CLOSED", "CONNECTION_DESTROYED", "CONNECTION_ENDED", "CONNECT_TIMEOUT", "CONNECTION_LOST",
]);

/**
 * The database (or a socket below it) went away, as opposed to refusing a statement:
 * connection errors, SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown,
 * crash, starting up) and 53300 (too many connections). Wrapped errors (drizzle puts
 * the driver's in `cause`) are looked through.
 */
export function isConnectionFailure(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (CONNECTION_CODES.has(code) || /^08|^57P0[123]$|^53300$/.test(code))) return true;
  }
  return false;
}
