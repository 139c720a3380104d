import * as v from "valibot";
import { AppError, validationFailed } from "./errors.js";
import { storableProblems, type FieldError } from "./storable.js";

/** Valibot's issues as the API's field errors, never the validator's own wording for the common cases. */
export const fieldErrors = (issues: v.BaseIssue<unknown>[]): FieldError[] =>
  issues.map((i) => ({
    field: i.path?.map((p) => String(p.key)).join(".") || "body",
    message: i.received === "undefined" && i.kind === "schema" ? "is required" : i.type === "strict_object" ? "is not a known field" : i.message,
  }));

/** A JSON request body through one schema: 400 invalid_json, or 422 validation_failed naming each field. */
export function parseJsonBody<S extends v.GenericSchema>(schema: S, raw: string): v.InferOutput<S> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new AppError(400, "invalid_json", "The request body is not valid JSON");
  }
  const unstorable = storableProblems(json);
  if (unstorable.length) throw validationFailed(unstorable);
  const r = v.safeParse(schema, json, { abortPipeEarly: true });
  if (!r.success) throw validationFailed(fieldErrors(r.issues));
  return r.output;
}
