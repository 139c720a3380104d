import { redact, redactString } from "../../lib/logger.js";

/**
 * What the operator reads when a command fails. A failed query's own message repeats
 * its SQL and parameters (an API key's prefix and hash, a sealed token): only the
 * database's reason is printed, as the logger does.
 */
export function reason(err: unknown): string {
  if (!(err instanceof Error)) return redactString(String(err));
  const r = redact(err) as { message: string; cause?: string | null };
  return r.cause ? `database error: ${r.cause}` : r.message;
}
