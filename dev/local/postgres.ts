import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { tcpAnswers } from "./probe.js";

export interface LocalDatabase {
  url: string;
  migrationUrl: string;
  description: string;
  close?: () => Promise<void>;
}

const LOCAL = { host: "127.0.0.1", port: 5432, user: "postgres", database: "sandesh" };

/**
 * With no DATABASE_URL: the PostgreSQL at its default local address if it answers
 * (creating the `sandesh` database), else an embedded PGlite kept under .data/.
 */
export async function localDatabase(dataDir: string): Promise<LocalDatabase> {
  if (await tcpAnswers(LOCAL.host, LOCAL.port)) {
    const admin = postgres({ host: LOCAL.host, port: LOCAL.port, user: LOCAL.user, database: "postgres", max: 1, onnotice: () => {}, connect_timeout: 3 });
    try {
      const [row] = await admin`select 1 as x from pg_database where datname = ${LOCAL.database}`;
      if (!row) await admin.unsafe(`create database ${LOCAL.database}`);
      const url = `postgres://${LOCAL.user}@${LOCAL.host}:${LOCAL.port}/${LOCAL.database}`;
      return { url, migrationUrl: url, description: `PostgreSQL at ${LOCAL.host}:${LOCAL.port}/${LOCAL.database}` };
    } catch (err) {
      throw new Error(`PostgreSQL answers at ${LOCAL.host}:${LOCAL.port} but refused us (${(err as Error).message}); set DATABASE_URL`);
    } finally {
      await admin.end({ timeout: 2 });
    }
  }
  return embeddedDatabase(dataDir);
}

async function embeddedDatabase(dataDir: string): Promise<LocalDatabase> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const dir = join(dataDir, "pglite");
  await mkdir(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const port = 54320 + Math.floor(Math.random() * 500);
  const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1" });
  await server.start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    migrationUrl: url,
    description: `embedded PGlite (data in ${dir}, served at 127.0.0.1:${port})`,
    close: async () => {
      await server.stop();
      await db.close();
    },
  };
}
