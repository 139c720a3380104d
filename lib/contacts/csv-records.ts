import { parse, type Options } from "csv-parse";

/** Where a record ends: lines and bytes of the body up to and including it. */
export interface CsvPlace {
  lines: number;
  bytes: number;
}

/** A record, or one the parser skipped (a row it cannot read: the import counts it as failed). */
export type CsvItem = { record: Record<string, string>; info: CsvPlace; skipped?: undefined } | { skipped: { code?: string; message: string }; info: CsvPlace; record?: undefined };

/**
 * The records of a CSV body, in order with the ones the parser skipped, a chunk's worth
 * at a time, as the body streams in. Both arrive through csv-parse's synchronous hooks
 * (on_record, on_skip) while a chunk is parsed, so they stay in the body's order, which
 * the import's checkpoint relies on; its node:stream side (the Worker has it through
 * nodejs_compat) carries nothing. Memory holds one body chunk's records; the body is read
 * no faster than the caller consumes what it yields.
 */
export async function* csvRecords(body: ReadableStream<Uint8Array>, options: Omit<Options, "on_record" | "on_skip" | "info">): AsyncGenerator<CsvItem[]> {
  let pending: CsvItem[] = [];
  let failure: unknown = null;
  const place = (c: { lines?: number; bytes?: number }): CsvPlace => ({ lines: c.lines ?? 0, bytes: c.bytes ?? 0 });
  const parser = parse({
    ...options,
    skip_records_with_error: true,
    on_record: (record: Record<string, string>, context: { lines: number; bytes: number }) => {
      pending.push({ record, info: place(context) });
      return null; // handed over here, not through the stream
    },
    on_skip: (err: { code?: string; message: string; lines?: number; bytes?: number } | undefined) => {
      if (err) pending.push({ skipped: { code: err.code, message: err.message }, info: place(err) });
      return undefined;
    },
  } as unknown as Options);
  parser.on("error", (err) => (failure ??= err));
  parser.resume(); // nothing flows through the stream, but it must not stop on back-pressure
  const ended = new Promise<void>((resolve) => {
    parser.once("end", resolve);
    parser.once("error", () => resolve());
  });
  const reader = body.getReader();
  let done = false;
  try {
    while (!done) {
      const chunk = await reader.read();
      done = chunk.done;
      // A kept chunk is 1 MiB: parsed in pieces, each handed over before the next, and
      // between them the event loop turns, so the caller's writes in flight go on meanwhile.
      const pieces = chunk.done ? [null] : split(chunk.value);
      for (const piece of pieces) {
        if (piece === null) {
          parser.end();
          await ended;
        } else {
          parser.write(piece);
          if (pieces.length > 1) await turn();
        }
        // Every piece yields (empty too); the records read before a failure are handed over before it.
        const out = pending;
        pending = [];
        yield out;
        if (failure) throw failure;
      }
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    parser.destroy();
  }
}

const PIECE_BYTES = 64 * 1024;
const split = (b: Uint8Array): Uint8Array[] => {
  if (b.length <= PIECE_BYTES) return [b];
  const out: Uint8Array[] = [];
  for (let at = 0; at < b.length; at += PIECE_BYTES) out.push(b.subarray(at, at + PIECE_BYTES));
  return out;
};

/** One turn of the event loop (I/O callbacks run), not only the microtasks. */
const turn = () => new Promise<void>((resolve) => (globalThis.setImmediate ? globalThis.setImmediate(resolve) : setTimeout(resolve, 0)));
