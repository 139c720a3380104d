import { defineConfig } from "drizzle-kit";

/**
 * The drizzle schema (db/schema) describes the tables for typed queries. The tables
 * themselves, with their RLS policies, roles and functions, come from the hand-written
 * SQL in db/migrations (`npm run admin -- migrate`): drizzle-kit is for inspection
 * (`npx drizzle-kit studio`, `npx drizzle-kit check`), not for generating migrations.
 * test/schema.test.ts proves the two agree, column by column.
 */
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/index.ts",
  out: "./db/migrations",
  dbCredentials: { url: process.env.DATABASE_MIGRATION_URL ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/sandesh" },
});
