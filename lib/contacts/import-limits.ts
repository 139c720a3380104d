/** Rows per transaction: each moves the checkpoint with the rows it wrote. */
export const IMPORT_BATCH_ROWS = 5000;
export const MAX_IMPORT_ROWS = 1_000_000;
/** Errors kept with their line; the count covers them all. */
export const MAX_STORED_ERRORS = 1000;
/** A longer row is an import failure: an unterminated quoted field would otherwise buffer up to the body limit. */
export const MAX_RECORD_BYTES = 64 * 1024;
/** The upload is kept in chunks of this size: one chunk in memory while it streams in. */
export const IMPORT_CHUNK_BYTES = 1024 * 1024;
/** One job parses for about this long, then hands the rest to the next job (a Worker invocation's time is bounded). */
export const IMPORT_SLICE_MS = 20_000;
