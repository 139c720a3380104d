import { parse, type Options } from "csv-parse";

export interface CsvItem {
  info: { lines: number };
  record: Record<string, string>;
}

/**
 * The records of a CSV body, a chunk's worth at a time, as the body streams in. csv-parse's
 * own parser (node:stream, which the Worker has through nodejs_compat) is fed from the
 * Web stream's reader: its Web TransformStream hands records over one promise each, which
 * cost four times the parsing itself. Memory holds one body chunk's records; the body is
 * read no faster than the caller consumes what it yields.
 */
export async function* csvRecords(body: ReadableStream<Uint8Array>, options: Options): AsyncGenerator<CsvItem[]> {
  const parser = parse({ ...options, info: true });
  let pending: CsvItem[] = [];
  let failure: unknown = null;
  parser.on("readable", () => {
    let r: CsvItem | null;
    while ((r = parser.read() as CsvItem | null) !== null) pending.push(r);
  });
  parser.on("error", (err) => (failure ??= err));
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
      if (done) {
        parser.end();
        await ended;
      } else parser.write(chunk.value);
      // Every chunk yields (empty too), so the caller sees progress made of skipped rows only;
      // the records read before a failure are handed over before it.
      const out = pending;
      pending = [];
      yield out;
      if (failure) throw failure;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    parser.destroy();
  }
}
