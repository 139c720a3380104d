import { attributeProblem } from "../contacts/schema.js";
import type { FieldError } from "../storable.js";

/**
 * A broadcast's template is written once and filled per recipient: any string in its
 * components may carry `{{contact.name}}`, `{{contact.wa_id}}` or
 * `{{contact.attributes.<key>}}`. Checked when the broadcast is created, so an unknown
 * placeholder is named before anything is scheduled; filled as each page is written.
 */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export interface Recipient {
  wa_id: string;
  name: string | null;
  attributes: Record<string, string | number>;
}

/** What a placeholder reads, or why it is not one. */
function resolve(expr: string): { get: (r: Recipient) => string | null } | { problem: string } {
  if (expr === "contact.name") return { get: (r) => r.name };
  if (expr === "contact.wa_id") return { get: (r) => r.wa_id };
  if (expr.startsWith("contact.attributes.")) {
    const key = expr.slice("contact.attributes.".length);
    const problem = attributeProblem(key);
    if (problem) return { problem: `{{${expr}}}: attribute ${problem}` };
    return { get: (r) => (r.attributes[key] === undefined || r.attributes[key] === "" ? null : String(r.attributes[key])) };
  }
  return { problem: `{{${expr}}} is not a placeholder: use {{contact.name}}, {{contact.wa_id}} or {{contact.attributes.<key>}}` };
}

/** Every placeholder problem in the components, by field path (template.components.0.parameters.1.text). */
export function placeholderProblems(value: unknown, path = "template.components"): FieldError[] {
  if (typeof value === "string") {
    return [...value.matchAll(PLACEHOLDER)].flatMap((m) => {
      const r = resolve(m[1]!);
      return "problem" in r ? [{ field: path, message: r.problem }] : [];
    });
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => placeholderProblems(v, `${path}.${i}`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => placeholderProblems(v, `${path}.${k}`));
  return [];
}

/** The components for one recipient; null when a placeholder has no value for them (counted as a skip). */
export function fillComponents<T>(value: T, r: Recipient): T | null {
  let missing = false;
  const walk = (x: unknown): unknown => {
    if (typeof x === "string") {
      return x.replace(PLACEHOLDER, (_all, expr: string) => {
        const res = resolve(expr);
        const got = "get" in res ? res.get(r) : null;
        if (got === null) missing = true;
        return got ?? "";
      });
    }
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]));
    return x;
  };
  const out = walk(value) as T;
  return missing ? null : out;
}

/** Whether any string carries a placeholder: a template without one is the same body for all. */
export const hasPlaceholders = (value: unknown): boolean => JSON.stringify(value ?? null).includes("{{");

/** The contact fields the template reads: a contact without one of them is skipped as missing_value. */
export function placeholderFields(value: unknown): { name: boolean; attributes: string[] } {
  const exprs = [...JSON.stringify(value ?? null).matchAll(PLACEHOLDER)].map((m) => m[1]!);
  return {
    name: exprs.includes("contact.name"),
    attributes: [...new Set(exprs.filter((e) => e.startsWith("contact.attributes.")).map((e) => e.slice("contact.attributes.".length)))],
  };
}
