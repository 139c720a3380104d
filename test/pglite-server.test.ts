import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embeddedDatabase } from "../dev/local/embedded.js";
import type { LocalDatabase } from "../dev/local/postgres.js";

/**
 * The embedded database serves every connection a process opens (pool, queue,
 * migrations), and one backend behind them never mixes their work: a unit of the
 * extended protocol and a transaction each run whole, and a client that leaves in
 * the middle of one is rolled back.
 */

let dir: string;
let db: LocalDatabase;
let sql: postgres.Sql;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sandesh-pglite-"));
  db = await embeddedDatabase(dir);
  sql = postgres(db.url, { max: 10, onnotice: () => {} });
  await sql`create table t (v int not null)`;
}, 60_000);
afterAll(async () => {
  await sql?.end({ timeout: 2 });
  await db?.close?.();
  await rm(dir, { recursive: true, force: true });
});

describe("the embedded PGlite over TCP", () => {
  it("serves ten connections at once, each parameterised query answering its own parameters", async () => {
    const clients = Array.from({ length: 10 }, () => postgres(db.url, { max: 1, onnotice: () => {}, prepare: false }));
    try {
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => clients[i % 10]!`select ${i}::int as n, ${`q${i}`}::text as s`.then((r) => [r[0]!.n, r[0]!.s])));
      expect(answers).toEqual(Array.from({ length: 200 }, (_, i) => [i, `q${i}`]));
    } finally {
      await Promise.all(clients.map((c) => c.end({ timeout: 2 })));
    }
  });

  it("runs concurrent transactions whole: none sees another's uncommitted rows, a failed one leaves nothing", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        sql.begin(async (tx) => {
          await tx`insert into t (v) values (${i})`;
          await new Promise((r) => setImmediate(r));
          const [row] = await tx`select count(*)::int as c from t where v >= 100 or v = ${i}`;
          if (i === 3) throw new Error("rolled back on purpose");
          return row!.c as number;
        }),
      ),
    );
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : "rejected"))).toEqual([1, 1, 1, "rejected", 1, 1, 1, 1]);
    expect((await sql`select v from t order by v`).map((r) => r.v)).toEqual([0, 1, 2, 4, 5, 6, 7]);
  });

  it("rolls back the open transaction of a client that disconnects, and serves the next one", async () => {
    const leaver = postgres(db.url, { max: 1, onnotice: () => {} });
    await leaver.unsafe("begin");
    await leaver.unsafe("insert into t (v) values (100)");
    expect((await leaver.unsafe("select count(*)::int as c from t where v = 100"))[0]!.c).toBe(1);
    await leaver.end({ timeout: 0 });
    // It held the backend (its transaction was open): the next client is served after the roll-back.
    expect((await sql`select count(*)::int as c from t where v = 100`)[0]!.c).toBe(0);
  });
});
