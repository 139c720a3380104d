import postgres from "postgres";
import { Redis } from "ioredis";
import type { TestProject } from "vitest/node";
import { migrate } from "../../db/migrate.js";
import { pgUrl, REDIS_URL } from "../support/servers.js";

declare module "vitest" {
  export interface ProvidedContext {
    templateDb: string;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Once per run: prove both servers answer (a clear message beats 40 timeouts), then
 * build a migrated template database that every suite clones in a few milliseconds.
 * Names carry this run's process id, so two runs on one machine never touch each
 * other's databases; leftovers of runs that died are removed.
 */
export default async function setup(project: TestProject) {
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

  const stale = await admin<{ datname: string }[]>`select datname from pg_database where datname ~ '^sandesh_(t|tpl)_[0-9]+'`;
  for (const { datname } of stale) {
    const pid = Number(/^sandesh_(?:t|tpl)_(\d+)/.exec(datname)?.[1]);
    if (!alive(pid)) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
  }
  const template = `sandesh_tpl_${process.pid}`;
  await admin.unsafe(`drop database if exists ${template} with (force)`);
  await admin.unsafe(`create database ${template}`);
  // The roles and their grants are the cluster's, shared by every checkout migrating at
  // the same moment: PostgreSQL answers one of two concurrent ALTER ROLE/GRANTs with
  // "tuple concurrently updated". Runs take turns (an advisory lock in the postgres
  // database, which every run's admin connection uses) and retry what another process
  // (npm start, a bench) still raced.
  await admin`select pg_advisory_lock(hashtext('sandesh test template'))`;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await migrate(pgUrl(template));
        break;
      } catch (err) {
        if (attempt >= 5 || !/tuple concurrently updated/.test((err as Error).message)) throw err;
        await admin.unsafe(`drop database if exists ${template} with (force)`);
        await admin.unsafe(`create database ${template}`);
      }
    }
  } finally {
    await admin`select pg_advisory_unlock(hashtext('sandesh test template'))`;
  }
  project.provide("templateDb", template);

  return async () => {
    const own = await admin<{ datname: string }[]>`select datname from pg_database where datname like ${`sandesh_t_${process.pid}_%`} or datname = ${template}`;
    for (const { datname } of own) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    await admin.end();
  };
}
