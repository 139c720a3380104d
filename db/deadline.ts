import { ConnectionLost } from "./dedicated.js";

/**
 * How long a request waits on one database step (a look-up, a pre-flight read, a
 * clean-up) before it answers 503: a request never waits on a database that stopped
 * answering. Measured steps take milliseconds; 5 s is the writer's flush deadline too.
 */
export const REQUEST_DB_DEADLINE_MS = 5000;

/**
 * `work`, or ConnectionLost (rendered 503 temporarily_unavailable + Retry-After) once
 * `ms` have passed. postgres.js has no per-query deadline and a transaction cannot be
 * withdrawn from its queue, so the late outcome is ignored: use it for steps whose late
 * effect is harmless (reads; a delete the caller retries anyway).
 */
export function withDeadline<T>(work: Promise<T>, what: string, ms = REQUEST_DB_DEADLINE_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConnectionLost(`the database did not answer ${what} within ${ms} ms`)), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
