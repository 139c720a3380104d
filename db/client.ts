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
} satisfies postgres.Options<Record<string, never>>;

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
