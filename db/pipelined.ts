import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import postgres from "postgres";
import { ConnectionLost, DedicatedConnection, type ClientFactory, type Session } from "./dedicated.js";

/**
 * Pipelined statements on a dedicated connection (db/dedicated.ts), for the group
 * commits that write many callers' rows in one round trip (lib/messages/writer.ts,
 * lib/ingest/status-writer.ts).
 */

/**
 * The session's sql, refusing to send anything once its connection is gone (see
 * db/dedicated.ts), and sending each statement at once: statements are pipelined.
 */
export function guard(s: Session): postgres.ReservedSql {
  const check = () => {
    if (!s.alive()) throw new ConnectionLost();
  };
  return new Proxy(s.sql, {
    apply(target, self, args) {
      check();
      return go(Reflect.apply(target, self, args) as postgres.PendingQuery<postgres.Row[]>);
    },
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (prop !== "unsafe") return v;
      return (...a: unknown[]) => {
        check();
        return (v as (...x: unknown[]) => unknown).apply(target, a);
      };
    },
  });
}

/** Sends a query now: postgres.js otherwise waits until it is first awaited. */
export function go<Q extends { execute(): unknown }>(q: Q): Q {
  q.execute();
  return q;
}

const dialect = new PgDialect();
/** Drizzle's statement as text and values, sent now on a writer's own connection and prepared once per connection. */
export function goDrizzle(t: Pick<postgres.Sql, "unsafe">, q: SQL): postgres.PendingQuery<postgres.Row[]> {
  const { sql: text, params } = dialect.sqlToQuery(q);
  return go(t.unsafe(text, params as never[], { prepare: true }));
}

/**
 * A transaction whose statements are pipelined: BEGIN goes out with the first of them
 * and COMMIT may go with the last, so a batch of unkeyed rows costs one round trip.
 * PostgreSQL runs them in order and, after an error, refuses the rest and turns COMMIT
 * into ROLLBACK: nothing after a failure takes effect. On any error we also roll back.
 */
export async function pipelinedTransaction(
  conn: DedicatedConnection,
  fn: (t: postgres.ReservedSql, commit: () => Promise<unknown>, begun: Promise<unknown>) => Promise<void>,
): Promise<void> {
  const s = await conn.session();
  const t = guard(s);
  try {
    // Awaited with the first round trip: a failed BEGIN must fail the batch, or what follows
    // would run statement by statement, each with its own transaction-local scope.
    const begun = t`begin`;
    begun.catch(() => {});
    await fn(t, () => t`commit`, begun);
  } catch (err) {
    // A statement PostgreSQL refused: roll back and keep the connection. Anything else
    // (a lost or silent connection): nothing more goes out on it.
    const kept = err instanceof postgres.PostgresError && s.alive() && (await t`rollback`.then(() => true, () => false));
    if (!kept) conn.discardSession(s);
    throw err;
  }
}

/**
 * A writer's dedicated connections, one per flush in flight (a group commit runs at most
 * `size` flushes at once). A flush not done within the deadline fails, and its connection
 * is thrown away with whatever the wedged flush waits on; the next one starts afresh.
 */
export function writerLanes(open: ClientFactory, size: number, deadlineMs: number) {
  const lanes = Array.from({ length: size }, () => new DedicatedConnection(open));
  const free = [...lanes];
  let closed = false;
  return {
    size,
    async run<T>(fn: (conn: DedicatedConnection) => Promise<T>): Promise<T> {
      // After close, a flush would open a connection nobody ends: it fails as a lost connection does.
      if (closed) throw new ConnectionLost("the writer is closed");
      const conn = free.pop()!;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const overdue = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            conn.discard();
            reject(new ConnectionLost(`the database did not commit within ${deadlineMs} ms`));
          }, deadlineMs);
        });
        return await Promise.race([fn(conn), overdue]);
      } finally {
        clearTimeout(timer);
        free.push(conn);
      }
    },
    close: async () => {
      closed = true;
      await Promise.all(lanes.map((l) => l.close()));
    },
  };
}
