import { getTableColumns, getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { luaModules } from "../dev/gen-lua.js";
import * as schema from "../db/schema/index.js";
import { readFile } from "node:fs/promises";
import { createTestStack, type TestStack } from "./support/stack.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

describe("the code's picture of the database matches the database", () => {
  it("every drizzle table and column exists in the migrated schema, with the same nullability", async () => {
    const tables = Object.values(schema).filter((t) => is(t, PgTable)) as PgTable[];
    expect(tables.length).toBeGreaterThanOrEqual(12);
    const cols = await stack.owner<{ table_name: string; column_name: string; is_nullable: "YES" | "NO" }[]>`
      select table_name, column_name, is_nullable from information_schema.columns where table_schema = 'public'`;
    const problems: string[] = [];
    for (const t of tables) {
      const name = getTableName(t);
      const actual = new Map(cols.filter((c) => c.table_name === name).map((c) => [c.column_name, c.is_nullable === "NO"]));
      if (!actual.size) problems.push(`${name}: no such table`);
      const declared = Object.values(getTableColumns(t));
      for (const c of declared) {
        if (!actual.has(c.name)) problems.push(`${name}.${c.name}: no such column`);
        else if (actual.get(c.name) !== c.notNull) problems.push(`${name}.${c.name}: NOT NULL is ${actual.get(c.name)} in SQL, ${c.notNull} in drizzle`);
      }
      for (const col of actual.keys()) if (!declared.some((c) => c.name === col)) problems.push(`${name}.${col}: in SQL, missing from drizzle`);
    }
    expect(problems).toEqual([]);
  });

  it("every generated Lua module is the current text of its .lua file (npm run gen:lua)", async () => {
    const modules = await luaModules();
    expect(modules.length).toBeGreaterThanOrEqual(3);
    for (const m of modules) expect(await readFile(m.path, "utf8"), m.path).toBe(m.expected);
  });
});
