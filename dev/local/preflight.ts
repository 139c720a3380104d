import { createServer } from "node:net";
import postgres from "postgres";

/**
 * Checks made before anything is started or migrated, each answering one line for the
 * user (never a stack trace): the listen port is free, the database answers and exists.
 */

/** Answers why `port` cannot be listened on at `host`, or undefined when it can. */
export function portProblem(port: number, host: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", (err: NodeJS.ErrnoException) => {
      resolve(
        err.code === "EADDRINUSE"
          ? `port ${port} is in use by another process: stop it, or set PORT to a free port`
          : `cannot listen on ${host}:${port} (${err.code ?? err.message}): set PORT (and HOST) to an address this process may use`,
      );
    });
    srv.listen(port, host, () => srv.close(() => resolve(undefined)));
  });
}

/** `host:port/database` of a connection URL: what to name in messages (never the password). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "(an unparsable URL)";
  }
}

/** Connects once to `url` (named `variable` in the answer); undefined when it answers. */
export async function databaseProblem(url: string, variable: string): Promise<string | undefined> {
  const where = describeUrl(url);
  const sql = postgres(url, { max: 1, onnotice: () => {}, fetch_types: false, connect_timeout: 5 });
  try {
    await sql`select 1`;
    return undefined;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const db = where.slice(where.indexOf("/") + 1);
    if (e.code === "3D000") return `${variable} names database "${db}", which does not exist at ${where.split("/")[0]}: create it (createdb ${db}) or correct ${variable}`;
    if (e.code === "ECONNREFUSED" || e.code === "ENOTFOUND" || e.code === "CONNECT_TIMEOUT" || e.code === "EHOSTUNREACH") {
      return `no PostgreSQL answers at ${where.split("/")[0]} (${variable}): start it or correct ${variable}`;
    }
    return `${variable} (${where}) refused the connection: ${e.code ? `${e.code} ` : ""}${(e.message ?? String(err)).split("\n")[0]}`;
  } finally {
    await sql.end({ timeout: 2 }).catch(() => {});
  }
}
