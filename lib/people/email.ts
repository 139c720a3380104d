import { AppError } from "../errors.js";

/** One spelling per person: trimmed and lower-cased, as the users table requires. */
export function normalizeEmail(raw: unknown): string {
  const email = typeof raw === "string" ? raw.trim().toLowerCase() : "";
  if (email.length < 3 || email.length > 254 || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    throw new AppError(422, "validation_failed", "email must be an email address", { field: "email" });
  }
  return email;
}
