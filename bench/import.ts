import { parseConfig } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { createApiKey } from "../lib/apikeys/manage.js";
import { createWorkspace } from "../lib/workspaces/workspaces.js";
import { createNodeServices } from "../dev/services.js";
import { freshDatabase, REDIS_URL, SECRETS, startServer } from "./support/env.js";

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 100_000);

function csv(rows: number): string {
  const lines = ["wa_id,name,tags,opt_in,city,plan"];
  for (let i = 0; i < rows; i++) lines.push(`+91 9${String(i).padStart(9, "0")},Customer ${i},${i % 2 ? "vip;diwali" : "new"},${i % 5 ? "" : "yes"},City ${i % 97},${i % 3 ? "gold" : "silver"}`);
  return `${lines.join("\n")}\n`;
}

/** Contacts CSV import through POST /v1/contacts/imports (streamed body kept, then the import's job; real PostgreSQL): first import, then the same file again. Counted until GET says completed. */
export async function benchImport() {
  const db = await freshDatabase("sandesh_bench_import");
  const env = { ...SECRETS, SANDESH_ENV: "test", DATABASE_URL: db.appUrl, DATABASE_MIGRATION_URL: db.ownerUrl, REDIS_URL, REDIS_PREFIX: `benchim${Date.now()}:` };
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  const setup = createNodeServices(parsed.config, { databaseUrl: db.ownerUrl, logger: createLogger("silent") });
  const ws = await createWorkspace(setup, "Bench");
  const key = await createApiKey(setup, ws.id, "bench", { actorType: "operator", actorId: "bench" });
  await setup.close();
  const server = await startServer("bench/servers/sandesh.ts", { ...env, BENCH_IMPORT_WORKER: "1" });
  const body = csv(ROWS);
  type View = { status: string; created: number; updated: number; unchanged: number; failed: number };
  const base = `http://127.0.0.1:${server.port}/v1/contacts/imports`;
  const auth = { authorization: `Bearer ${key.key}` };
  /** The upload until its 202 (the file kept), then until the job has written every row (GET says completed). */
  const post = async () => {
    const started = performance.now();
    const res = await fetch(base, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body });
    const accepted = (await res.json()) as View & { id: string };
    if (res.status !== 202) throw new Error(`import answered ${res.status}: ${JSON.stringify(accepted)}`);
    const keptS = (performance.now() - started) / 1000;
    let out: View;
    for (;;) {
      out = (await (await fetch(`${base}/${accepted.id}`, { headers: auth })).json()) as View;
      if (out.status === "completed" || out.status === "failed") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (out.status !== "completed") throw new Error(`import ended ${JSON.stringify(out)}`);
    return { seconds: (performance.now() - started) / 1000, keptS, out };
  };
  try {
    const first = await post();
    const again = await post();
    return {
      name: `Contacts CSV import (POST /v1/contacts/imports, ${ROWS.toLocaleString("en")} rows, ${(body.length / 2 ** 20).toFixed(1)} MiB)`,
      lines: [
        `first import: ${(ROWS / first.seconds).toFixed(0)} rows/s until completed (${first.seconds.toFixed(2)} s; the 202 after ${first.keptS.toFixed(2)} s; created ${first.out.created}, failed ${first.out.failed})`,
        `same file again: ${(ROWS / again.seconds).toFixed(0)} rows/s until completed (${again.seconds.toFixed(2)} s; the 202 after ${again.keptS.toFixed(2)} s; created ${again.out.created}, updated ${again.out.updated}, unchanged ${again.out.unchanged})`,
      ],
      figures: { first_rows_per_s: ROWS / first.seconds, reimport_rows_per_s: ROWS / again.seconds, first_accept_s: first.keptS },
    };
  } finally {
    await server.stop();
    await db.drop();
  }
}
