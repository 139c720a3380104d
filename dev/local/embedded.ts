import { readFileSync, unlinkSync } from "node:fs";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LocalEnvError } from "./errors.js";
import { servePglite } from "./pglite-server.js";
import type { LocalDatabase } from "./postgres.js";

/**
 * The embedded PGlite under .data/pglite. One process owns the folder: it holds
 * .data/pglite.lock (its pid, then the address it serves the database at). Another
 * process that may share it (the admin CLI) connects to that address; one that may
 * not, or one that finds the folder held with no address yet, stops with one line.
 */

interface Holder {
  pid: number;
  url?: string;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    const h = JSON.parse(await readFile(file, "utf8")) as Holder;
    return Number.isInteger(h.pid) ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the lock, or answers who holds it. A holder that died is replaced. */
async function acquire(file: string): Promise<Holder | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, JSON.stringify({ pid: process.pid }) + "\n", { flag: "wx" });
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const h = await readHolder(file);
    if (h && h.pid !== process.pid && alive(h.pid)) return h;
    // Stale (its process is gone) or half-written by a process that died: take it over.
    await unlink(file).catch(() => {});
  }
  throw new LocalEnvError(`could not take ${file}; remove it if no Sandesh process is running`);
}

/** The embedded database another live process serves from `dataDir`, if one does. */
export async function servedEmbedded(dataDir: string): Promise<LocalDatabase | undefined> {
  const held = await readHolder(join(dataDir, "pglite.lock"));
  if (!held?.url || held.pid === process.pid || !alive(held.pid)) return undefined;
  return { url: held.url, migrationUrl: held.url, description: `embedded PGlite served by process ${held.pid} at ${new URL(held.url).host}` };
}

export async function embeddedDatabase(dataDir: string, opts: { attach?: boolean } = {}): Promise<LocalDatabase> {
  const dir = join(dataDir, "pglite");
  const lock = join(dataDir, "pglite.lock");
  await mkdir(dataDir, { recursive: true });
  const held = await acquire(lock);
  if (held) {
    const served = opts.attach ? await servedEmbedded(dataDir) : undefined;
    if (served) return served;
    throw new LocalEnvError(
      `the embedded database in ${dir} is held by process ${held.pid}${held.url ? ` (serving it at ${new URL(held.url).host})` : " (starting up)"}: stop that process or wait for it, or set DATABASE_URL`,
    );
  }
  const ours = () => {
    try {
      if ((JSON.parse(readFileSync(lock, "utf8")) as Holder).pid === process.pid) unlinkSync(lock);
    } catch {
      // already gone
    }
  };
  // Should this process end without close(), the folder is free again.
  process.once("exit", ours);
  try {
    const { PGlite } = await import("@electric-sql/pglite");
    await mkdir(dir, { recursive: true });
    const db = await PGlite.create(dir);
    const served = await servePglite(db, { host: "127.0.0.1", port: 0 });
    const url = `postgres://postgres@127.0.0.1:${served.port}/postgres`;
    const tmp = `${lock}.${process.pid}`;
    await writeFile(tmp, JSON.stringify({ pid: process.pid, url }) + "\n");
    await rename(tmp, lock);
    return {
      url,
      migrationUrl: url,
      description: `embedded PGlite (data in ${dir}, served at 127.0.0.1:${served.port})`,
      close: async () => {
        await served.close();
        await db.close();
        ours();
        process.off("exit", ours);
      },
    };
  } catch (err) {
    ours();
    process.off("exit", ours);
    throw err;
  }
}
