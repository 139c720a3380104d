import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import postgres from "postgres";

const DIR = fileURLToPath(new URL("./migrations/", import.meta.url));

export interface MigrateResult {
  applied: string[];
  skipped: number;
}

/**
 * Applies db/migrations/*.sql in name order, each in its own transaction, once.
 * An advisory lock makes concurrent runs (two processes starting at once) safe.
 * Runs as the owner role: DATABASE_MIGRATION_URL, else DATABASE_URL.
 */
export async function migrate(url: string): Promise<MigrateResult> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, fetch_types: false });
  try {
    const files = (await readdir(DIR)).filter((f) => f.endsWith(".sql")).sort();
    return await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('sandesh_migrations'))`;
      await tx`create table if not exists sandesh_migrations (name text primary key, applied_at timestamptz not null default now())`;
      const done = new Set((await tx<{ name: string }[]>`select name from sandesh_migrations`).map((r) => r.name));
      const applied: string[] = [];
      for (const file of files) {
        if (done.has(file)) continue;
        await tx.unsafe(await readFile(DIR + file, "utf8"));
        await tx`insert into sandesh_migrations (name) values (${file})`;
        applied.push(file);
      }
      return { applied, skipped: files.length - applied.length };
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
