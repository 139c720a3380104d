import v8 from "node:v8";

/**
 * How far V8 lets the heap grow past what was live at the last full collection, in
 * percent. V8 picks a factor of up to 4× by itself when collecting looks cheap beside
 * the allocation rate, and a sending process allocates fast (a claim, a body, a request
 * and an answer per send, each alive only for the send): in `npm run bench -- broadcast`
 * the live heap stays at ~40–57 MB while the heap grew to ~200 MB of garbage before a
 * full collection, and RSS with it. At 60 % the heap peaks near 80 MB for the same run.
 * The price is more frequent (mostly concurrent) full collections of a small live heap.
 */
export const HEAP_GROWING_PERCENT = 60;

const FLAG = "--heap-growing-percent";

/**
 * Applies HEAP_GROWING_PERCENT to this process, unless its command line set the flag
 * itself (which wins: `npm start` passes it there, so the serving process never changes a
 * V8 flag at run time, which Node documents as unsupported). V8 reads the flag at every full
 * collection, so setting it once the process runs takes effect from the next one; the
 * benches and tests build their services this way. Node processes only (dev/services.ts).
 */
export function boundHeapGrowth(percent = HEAP_GROWING_PERCENT): void {
  if (process.execArgv.some((a) => a.startsWith(FLAG) || a.startsWith("--heap_growing_percent"))) return;
  v8.setFlagsFromString(`${FLAG}=${percent}`);
}
