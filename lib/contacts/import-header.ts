import { parse } from "csv-parse/sync";
import { MAX_RECORD_BYTES } from "./import-limits.js";
import { CsvHeaderError, readHeader } from "./csv.js";

export interface ImportHeader {
  /** Column names, trimmed and lower-cased. */
  names: string[];
  /** Bytes of the body up to the first data record (BOM and header line included). */
  bytes: number;
  /** Lines the header took (a quoted name may hold a line break). */
  lines: number;
}

/**
 * The header, from the first bytes of the body: checked before the upload is kept, so a
 * file that cannot be imported at all is refused at once (422), not found out later by
 * the run. null while the first record is not complete yet (more bytes are needed).
 */
export function readImportHeader(head: Uint8Array, ended: boolean): ImportHeader | null {
  if (!ended && !head.includes(0x0a)) return tooLong(head);
  let records: { record: string[]; info: { bytes: number; lines: number } }[];
  try {
    records = parse(head, { bom: true, to: 1, info: true, relax_column_count: true, skip_empty_lines: true, max_record_size: MAX_RECORD_BYTES }) as unknown as typeof records;
  } catch (err) {
    // A quoted header name still open: its closing quote is in bytes still to come.
    if (!ended && (err as { code?: string }).code === "CSV_QUOTE_NOT_CLOSED") return tooLong(head);
    throw new CsvHeaderError((err as Error).message);
  }
  const first = records[0];
  if (!first) {
    if (!ended) return tooLong(head);
    throw new CsvHeaderError("the CSV needs a wa_id column (the header is its first line)");
  }
  const { bytes, lines } = first.info;
  // A record at the very end of what has arrived may still be growing.
  if (!ended && bytes >= head.length && head[bytes - 1] !== 0x0a) return tooLong(head);
  const names = first.record.map((h) => h.trim().toLowerCase());
  readHeader(names);
  return { names, bytes, lines };
}

function tooLong(head: Uint8Array): null {
  if (head.length > MAX_RECORD_BYTES) throw new CsvHeaderError(`the header line is longer than ${MAX_RECORD_BYTES / 1024} KiB`);
  return null;
}
