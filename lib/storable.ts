/**
 * What a request may carry so that it can be stored: the one check every JSON body goes
 * through before its schema. Each of these is valid JSON that PostgreSQL refuses (a text
 * or jsonb value cannot hold U+0000, jsonb refuses a lone surrogate, and deep nesting
 * costs its parser stack), so without this check the request would fail at the INSERT,
 * after the gate, as a 503 a client retries forever. Refused here, it is a 422 naming
 * the field.
 */
export interface FieldError {
  field: string;
  message: string;
}

/** Deeper than any message Meta takes (interactive lists and flows nest a handful of levels). */
export const MAX_JSON_DEPTH = 32;
const MAX_REPORTED = 10;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** A NUL (no PostgreSQL text holds one) or a UTF-16 half without its other half (no UTF-8 encodes one). */
export const UNSTORABLE_TEXT = new RegExp(`\u0000|${LONE_SURROGATE.source}`);

/** Why a string cannot be stored, or null. */
export function textProblem(s: string): string | null {
  if (s.includes("\u0000")) return "must not contain the NUL character (\\u0000)";
  if (LONE_SURROGATE.test(s)) return "must be valid Unicode text (it contains a lone surrogate)";
  return null;
}

const join = (path: string[]) => path.join(".") || "body";

/** Every place in a parsed JSON value that cannot be stored, named by its dotted path. */
export function storableProblems(value: unknown, maxDepth = MAX_JSON_DEPTH): FieldError[] {
  const out: FieldError[] = [];
  const walk = (v: unknown, path: string[], depth: number): void => {
    if (out.length >= MAX_REPORTED) return;
    if (typeof v === "string") {
      const why = textProblem(v);
      if (why) out.push({ field: join(path), message: why });
      return;
    }
    if (v === null || typeof v !== "object") return;
    if (depth >= maxDepth) {
      out.push({ field: join(path), message: `must not nest objects and arrays more than ${maxDepth} levels deep` });
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...path, String(i)], depth + 1));
      return;
    }
    for (const [k, item] of Object.entries(v)) {
      const why = textProblem(k);
      // A bad key is named by the escaped key itself: the raw one would carry the NUL on.
      if (why) out.push({ field: join([...path, JSON.stringify(k).slice(1, -1)]), message: `is a field name that ${why}` });
      else walk(item, [...path, k], depth + 1);
    }
  };
  walk(value, [], 0);
  return out;
}
