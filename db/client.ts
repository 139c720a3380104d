import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema/index.js";

export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface Database {
  db: Db;
  sql: postgres.Sql;
  close(): Promise<void>;
}

export interface DbOptions {
  /** Pool size: a long-lived Node process shares a pool; a Worker request opens one. */
  max?: number;
}

const CLIENT_OPTIONS = {
  // No array or custom types are read back, so skip the type-catalogue round trip on connect.
  fetch_types: false,
  onnotice: () => {},
  connection: { application_name: "sandesh" },
  // A server that does not answer fails the request in seconds (503), not after 30 s.
  connect_timeout: 5,
  // postgres.js waits (0.5-1) x min(3^n / 100, 20) s before a connection's next attempt, n
  // counting every failed connect of the pool: a few seconds of outage under load put it
  // at 20 s, and every query queued meanwhile waited that long after the server was back.
  // At most ~1 s apart: service resumes within a second of the database's return.
  backoff: reconnectDelayS,
} satisfies postgres.Options<Record<string, never>>;

/** Seconds before a pool connection's next connect attempt after `retries` failed ones. */
export function reconnectDelayS(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 1);
}

export function createDatabase(url: string, opts: DbOptions = {}): Database {
  const sql = postgres(url, { ...CLIENT_OPTIONS, max: opts.max ?? 10 });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** A client of one connection, for DedicatedConnection (db/dedicated.ts). */
export function createSingleConnectionClient(url: string): (onclose: () => void) => postgres.Sql {
  return (onclose) => {
    const sql = postgres(url, { ...CLIENT_OPTIONS, max: 1, onclose: () => onclose() });
    // drizzle sets its value handling on the client (JSON passed through as text, dates as
    // strings); statements written for the pool must read the same on this one.
    drizzle(sql);
    return sql;
  };
}
