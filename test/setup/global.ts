import postgres from "postgres";
import { Redis } from "ioredis";
import { migrate } from "../../db/migrate.js";
import { pgUrl, REDIS_URL, TEMPLATE_DB } from "../support/servers.js";

/**
 * Once per run: prove both servers answer (a clear message beats 40 timeouts), then
 * build a migrated template database that every suite clones in a few milliseconds.
 */
export default async function setup() {
  const admin = postgres(pgUrl("postgres"), { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin`select 1`;
  } catch (err) {
    throw new Error(`Tests need PostgreSQL at ${pgUrl("postgres")}: ${(err as Error).message}`);
  }
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Tests need Redis at ${REDIS_URL}: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }

  // Leftovers from an interrupted run must not pile up.
  const stale = await admin<{ datname: string }[]>`select datname from pg_database where datname like 'sandesh_t_%'`;
  for (const { datname } of stale) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
  await admin.unsafe(`drop database if exists ${TEMPLATE_DB} with (force)`);
  await admin.unsafe(`create database ${TEMPLATE_DB}`);
  await migrate(pgUrl(TEMPLATE_DB));
  await admin.end();
}
