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

export function createDatabase(url: string, opts: DbOptions = {}): Database {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    // No array or custom types are read back, so skip the type-catalogue round trip on connect.
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: "sandesh" },
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}
