import { AppError } from "../errors.js";
import { textProblem, type FieldError } from "../storable.js";

/** What a support request may ask for: a few hours (4 unless said), three days at most. */
export const DEFAULT_HOURS = 4;
export const MAX_HOURS = 72;
export const MAX_REASON = 500;
export const MAX_OPERATOR = 200;
/** The fixed lengths an owner may grant instead of the whole request (never more than asked). */
export const GRANT_CHOICES = [1, 4, 24, 72] as const;

/** A request not approved within this many hours of being made lapses: it can no longer be approved. */
export const PENDING_HOURS = 24;

export const TOKEN_PREFIX = "sgr_";

/** The lengths an owner may approve for a request of `hours`: the shorter fixed choices, and the request itself. */
export const approvableHours = (hours: number): number[] => [...new Set([...GRANT_CHOICES.filter((h) => h < hours), hours])].sort((a, b) => a - b);

export interface SupportRequestInput {
  operator: string;
  reason: string;
  hours?: number;
}

/** 422 naming each field that cannot be stored as given; the values trimmed. */
export function checkRequest(input: SupportRequestInput): { operator: string; reason: string; hours: number } {
  const operator = input.operator.trim();
  const reason = input.reason.trim();
  const hours = input.hours ?? DEFAULT_HOURS;
  const errors: FieldError[] = [];
  const text = (field: string, v: string, max: number) => {
    const why = textProblem(v);
    if (why) errors.push({ field, message: why });
    else if (!v) errors.push({ field, message: "is required" });
    else if (v.length > max) errors.push({ field, message: `must be at most ${max} characters` });
  };
  text("operator", operator, MAX_OPERATOR);
  text("reason", reason, MAX_REASON);
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_HOURS) errors.push({ field: "hours", message: `must be a whole number of hours, 1 to ${MAX_HOURS}` });
  if (errors.length) throw new AppError(422, "validation_failed", `The support request is not valid: ${errors.map((e) => `${e.field} ${e.message}`).join("; ")}`, errors);
  return { operator, reason, hours };
}
