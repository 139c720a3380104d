import { eq, lt, type AnyColumn, type SQL } from "drizzle-orm";
import { validationFailed } from "./errors.js";
import { isIsoTime, type seqCursor } from "./seq-cursor.js";

/**
 * The query of a list ordered by a per-workspace number (the audit log, the access log):
 * exact-match filters, time bounds, a limit and a seqCursor. Every problem is named at
 * once (422 validation_failed), so both lists refuse a bad query alike.
 */
export interface ListFilterSpec {
  /** Query fields matched exactly against their column, each at most `maxLength` characters. */
  exact: readonly (readonly [string, AnyColumn])[];
  maxLength: number;
  /** Query fields bounding a time column, with the comparison (gte for from/since, lt for before). */
  times: readonly (readonly [string, (col: AnyColumn, at: Date) => SQL, AnyColumn])[];
  cursor: { codec: ReturnType<typeof seqCursor>; column: AnyColumn };
  /** The 422's message: "The audit log query is not valid". */
  invalid: string;
}

/** The filters as SQL; `paged` false (a whole export) ignores the limit and answers 50. */
export function listFilters(spec: ListFilterSpec, q: Record<string, string | undefined>, paged = true): { where: SQL[]; limit: number } {
  const errors: { field: string; message: string }[] = [];
  const where: SQL[] = [];
  for (const [field, col] of spec.exact) {
    const v = q[field];
    if (v === undefined || v === "") continue;
    if (v.length > spec.maxLength || v.includes("\u0000")) errors.push({ field, message: `must be at most ${spec.maxLength} characters` });
    else where.push(eq(col, v));
  }
  for (const [field, op, col] of spec.times) {
    const v = q[field];
    if (v === undefined || v === "") continue;
    if (!isIsoTime(v)) errors.push({ field, message: "must be an ISO 8601 date or time (e.g. 2026-12-01 or 2026-12-01T09:30:00Z)" });
    else where.push(op(col, new Date(v)));
  }
  const limit = q.limit === undefined || !paged ? 50 : Number(q.limit);
  if (paged && (!Number.isInteger(limit) || limit < 1 || limit > 200)) errors.push({ field: "limit", message: "must be a whole number from 1 to 200" });
  if (q.cursor) {
    const n = spec.cursor.codec.decode(q.cursor);
    if (n === null) errors.push({ field: "cursor", message: "is invalid" });
    else where.push(lt(spec.cursor.column, n));
  }
  if (errors.length) throw validationFailed(errors, spec.invalid);
  return { where, limit };
}
