/** Where the real servers the suites talk to are; CI and developers share these defaults. */
export const PG = {
  host: process.env.TEST_PGHOST ?? "127.0.0.1",
  port: Number(process.env.TEST_PGPORT ?? 5432),
  user: process.env.TEST_PGUSER ?? "postgres",
};
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export const pgUrl = (database: string, user = PG.user) => `postgres://${user}@${PG.host}:${PG.port}/${database}`;
