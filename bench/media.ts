import { readFileSync } from "node:fs";
import { parseConfig } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { createApiKey } from "../lib/apikeys/manage.js";
import { connectNumber } from "../lib/whatsapp/numbers.js";
import { createWorkspace } from "../lib/workspaces/workspaces.js";
import { createNodeServices } from "../dev/services.js";
import { freshDatabase, REDIS_URL, SECRETS, startServer } from "./support/env.js";

const UPLOADS = Number(process.env.BENCH_MEDIA_UPLOADS ?? 40);
const CONCURRENCY = Number(process.env.BENCH_MEDIA_CONCURRENCY ?? 4);
const SIZE = 5 * 1024 * 1024;
const MB = 2 ** 20;

/** Resident memory of a process, from /proc (Linux), in MiB. */
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

function form(bytes: Uint8Array<ArrayBuffer>): FormData {
  const f = new FormData();
  f.set("messaging_product", "whatsapp");
  f.set("type", "image/png");
  f.set("file", new Blob([bytes], { type: "image/png" }), "bench.png");
  return f;
}

async function run(url: string, token: string, bytes: Uint8Array<ArrayBuffer>, pid?: number) {
  let next = 0;
  let peak = pid ? rssMiB(pid) : 0;
  const sampler = pid ? setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 20) : undefined;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, UPLOADS) }, async () => {
      while (next++ < UPLOADS) {
        const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form(bytes) });
        if (res.status !== 200) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  return { seconds, peak };
}

/**
 * 5 MB image uploads through POST /{version}/{phone-number-id}/media (Sandesh in its own
 * process, streaming to the Meta sandbox in another), against the same uploads straight
 * to the sandbox; Sandesh's resident memory sampled every 20 ms: streamed, it grows by
 * about the chunks in flight, not by the bytes carried.
 */
export async function benchMedia() {
  const meta = await startServer("bench/servers/meta-sandbox.ts", { META_APP_SECRET: SECRETS.META_APP_SECRET });
  const sandboxUrl = `http://127.0.0.1:${meta.port}`;
  const db = await freshDatabase("sandesh_bench_media");
  const env = { ...SECRETS, SANDESH_ENV: "test", DATABASE_URL: db.appUrl, DATABASE_MIGRATION_URL: db.ownerUrl, REDIS_URL, REDIS_PREFIX: `benchmedia${Date.now()}:`, META_GRAPH_URL: sandboxUrl };
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  const setup = createNodeServices(parsed.config, { databaseUrl: db.ownerUrl, logger: createLogger("silent") });
  const ws = await createWorkspace(setup, "Bench");
  const key = await createApiKey(setup, ws.id, "bench", { actorType: "operator", actorId: "bench" });
  const token = "EAAGbenchMediaToken0123456789abcdef";
  await connectNumber(setup, { workspaceId: ws.id, phoneNumberId: "300000001", wabaId: "102290129340398", token }, { actorType: "operator" });
  await setup.close();
  const server = await startServer("bench/servers/sandesh.ts", env);
  const bytes = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) bytes[i] = (i * 31) & 0xff;
  try {
    const direct = await run(`${sandboxUrl}/v21.0/300000001/media`, token, bytes);
    const idle = rssMiB(server.child.pid!);
    const through = await run(`http://127.0.0.1:${server.port}/v21.0/300000001/media`, key.key, bytes, server.child.pid!);
    const carried = (UPLOADS * SIZE) / MB;
    return {
      name: `media upload (POST /{version}/{phone-number-id}/media, ${UPLOADS} × 5 MiB image, ${CONCURRENCY} at a time)`,
      lines: [
        `through Sandesh: ${(carried / through.seconds).toFixed(1)} MiB/s, ${(UPLOADS / through.seconds).toFixed(1)} uploads/s (${through.seconds.toFixed(2)} s)`,
        `baseline in the same run, straight to the sandbox: ${(carried / direct.seconds).toFixed(1)} MiB/s (${direct.seconds.toFixed(2)} s)`,
        `Sandesh's resident memory: ${idle.toFixed(0)} MiB idle, ${through.peak.toFixed(0)} MiB at its peak while carrying ${carried.toFixed(0)} MiB (${CONCURRENCY} uploads of 5 MiB in flight would be ${(CONCURRENCY * 5).toFixed(0)} MiB if held)`,
      ],
      figures: { mib_per_s: carried / through.seconds, baseline_mib_per_s: carried / direct.seconds, rss_idle_mib: idle, rss_peak_mib: through.peak },
    };
  } finally {
    await server.stop();
    await meta.stop();
    await db.drop();
  }
}
