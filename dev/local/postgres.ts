import postgres from "postgres";
import { embeddedDatabase, servedEmbedded } from "./embedded.js";
import { LocalEnvError } from "./errors.js";
import { tcpAnswers } from "./probe.js";

export interface LocalDatabase {
  url: string;
  migrationUrl: string;
  description: string;
  close?: () => Promise<void>;
}

/** Where the no-configuration start looks for PostgreSQL; SANDESH_LOCAL_POSTGRES=host:port moves it. */
export const LOCAL_POSTGRES = "127.0.0.1:5432";
const LOCAL_ROLE = { user: "postgres", database: "sandesh" };

/**
 * With no DATABASE_URL: the PostgreSQL at its default local address if it answers
 * (creating the `sandesh` database), else an embedded PGlite kept under .data/
 * (`attach`: or the one another process serves from there).
 */
export async function localDatabase(dataDir: string, opts: { address?: string; attach?: boolean } = {}): Promise<LocalDatabase> {
  const [host = "127.0.0.1", portText = "5432"] = (opts.address ?? LOCAL_POSTGRES).split(":");
  const LOCAL = { ...LOCAL_ROLE, host, port: Number(portText) };
  // A server already running on the embedded database is the one to talk to.
  const served = opts.attach ? await servedEmbedded(dataDir) : undefined;
  if (served) return served;
  if (await tcpAnswers(LOCAL.host, LOCAL.port)) {
    const admin = postgres({ host: LOCAL.host, port: LOCAL.port, user: LOCAL.user, database: "postgres", max: 1, onnotice: () => {}, connect_timeout: 3 });
    try {
      const [row] = await admin`select 1 as x from pg_database where datname = ${LOCAL.database}`;
      if (!row) await admin.unsafe(`create database ${LOCAL.database}`);
      const url = `postgres://${LOCAL.user}@${LOCAL.host}:${LOCAL.port}/${LOCAL.database}`;
      return { url, migrationUrl: url, description: `PostgreSQL at ${LOCAL.host}:${LOCAL.port}/${LOCAL.database}` };
    } catch (err) {
      throw new LocalEnvError(`PostgreSQL answers at ${LOCAL.host}:${LOCAL.port} but refused us (${(err as Error).message}); set DATABASE_URL`);
    } finally {
      await admin.end({ timeout: 2 });
    }
  }
  return embeddedDatabase(dataDir, { attach: Boolean(opts.attach) });
}
