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
