import { textProblem } from "../storable.js";
import { attributeProblem, MAX_ATTRIBUTES, MAX_TAGS, normaliseWaId } from "./schema.js";

/**
 * The contacts CSV, both ways: `wa_id`, `name`, `tags` (`;`-separated), `opt_in`,
 * `opt_out`, and every other column an attribute. Empty cells say nothing (they never
 * clear a value), so importing a file twice, or importing an export, changes nothing.
 */
export const FIXED_COLUMNS = ["wa_id", "name", "tags", "opt_in", "opt_out"] as const;

export interface ImportRow {
  line: number;
  wa_id: string;
  name: string | null;
  tags: string[];
  attributes: Record<string, string>;
  consent: { kind: "opt_in" | "opt_out"; at: string } | null;
}

export class CsvHeaderError extends Error {}

/** A header, checked once: which columns are attributes. Throws a message naming the column. */
export function readHeader(columns: string[]): string[] {
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new CsvHeaderError(`column "${c}" appears twice`);
    seen.add(c);
  }
  if (!seen.has("wa_id")) throw new CsvHeaderError("the CSV needs a wa_id column (the header is its first line)");
  const attributes = columns.filter((c) => !(FIXED_COLUMNS as readonly string[]).includes(c));
  for (const a of attributes) {
    const why = attributeProblem(a);
    if (why) throw new CsvHeaderError(`column "${a}" cannot be an attribute: ${why}`);
  }
  if (attributes.length > MAX_ATTRIBUTES) throw new CsvHeaderError(`at most ${MAX_ATTRIBUTES} attribute columns, got ${attributes.length}`);
  return attributes;
}

// Spreadsheets run a cell starting with one of these as a formula; an export prefixes it
// with ' (a WhatsApp profile name is chosen by whoever owns the number), an import strips it.
const FORMULA = /^[=+\-@\t\r]/;
const unescapeCell = (v: string) => (v.startsWith("'") && FORMULA.test(v.slice(1)) ? v.slice(1) : v);

const YES = new Set(["true", "yes", "y", "1"]);
const NO = new Set(["", "false", "no", "n", "0"]);

/** `true`/`yes`/`1` is now; an ISO 8601 time is when; empty/`false`/`no`/`0` says nothing. */
function consentCell(v: string, now: Date): string | null | Error {
  const s = v.trim().toLowerCase();
  if (NO.has(s)) return null;
  if (YES.has(s)) return now.toISOString();
  const at = new Date(v.trim());
  if (!/^\d{4}-\d\d-\d\d/.test(v.trim()) || Number.isNaN(at.getTime())) return new Error("must be true, false or an ISO 8601 time");
  if (at.getTime() > now.getTime() + 60_000) return new Error("must not be in the future");
  return at.toISOString();
}

/** One data row → what to store, or why it cannot be stored. */
export function readRow(record: Record<string, string>, line: number, attributeColumns: string[], now: Date): ImportRow | string {
  const cell = (k: string) => unescapeCell(record[k] ?? "").trim();
  for (const [k, v] of Object.entries(record)) {
    const why = textProblem(v);
    if (why) return `${k}: ${why}`;
  }
  const waId = normaliseWaId(cell("wa_id"));
  if (!waId) return `wa_id: "${cell("wa_id").slice(0, 40)}" is not a phone number in international format (7 to 15 digits)`;
  const name = cell("name") || null;
  if (name && name.length > 256) return "name: must be at most 256 characters";
  const tags = [...new Set(cell("tags").split(";").map((t) => t.trim()).filter(Boolean))];
  if (tags.length > MAX_TAGS) return `tags: at most ${MAX_TAGS}`;
  const longTag = tags.find((t) => t.length > 64);
  if (longTag) return `tags: "${longTag.slice(0, 20)}…" is longer than 64 characters`;
  const attributes: Record<string, string> = {};
  for (const a of attributeColumns) {
    const v = cell(a);
    if (!v) continue;
    if (v.length > 1024) return `${a}: must be at most 1024 characters`;
    attributes[a] = v;
  }
  const optIn = consentCell(record.opt_in ?? "", now);
  const optOut = consentCell(record.opt_out ?? "", now);
  if (optIn instanceof Error) return `opt_in: ${optIn.message}`;
  if (optOut instanceof Error) return `opt_out: ${optOut.message}`;
  if (optIn && optOut) return "opt_in and opt_out: a row cannot do both";
  const consent = optIn ? { kind: "opt_in" as const, at: optIn } : optOut ? { kind: "opt_out" as const, at: optOut } : null;
  return { line, wa_id: waId, name, tags, attributes, consent };
}

/** One CSV cell, quoted when it must be (RFC 4180), formula-safe. */
export function csvCell(v: string): string {
  const safe = FORMULA.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) || safe !== safe.trim() ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const csvLine = (cells: string[]) => `${cells.map(csvCell).join(",")}\r\n`;
