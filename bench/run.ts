import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { benchAccept } from "./accept.js";
import { benchAcceptAllowlist } from "./accept-allowlist.js";
import { benchGate } from "./gate.js";
import { benchSendWorker } from "./send-worker.js";
import { benchIngest } from "./ingest.js";
import { benchImport } from "./import.js";
import { benchMedia } from "./media.js";
import { benchStalls } from "./stalls.js";
import { benchBroadcast } from "./broadcast.js";
import { benchGraph } from "./graph.js";
import { machine } from "./support/env.js";

/**
 * `npm run bench [-- name…]`: each benchmark prints its figures beside a baseline
 * measured in the same run. Record results in bench/RESULTS.md with date and machine.
 */
const BENCHES: Record<string, () => Promise<{ name: string; lines: string[] }>> = {
  gate: benchGate,
  accept: benchAccept,
  "accept-allowlist": benchAcceptAllowlist,
  send: benchSendWorker,
  ingest: benchIngest,
  import: benchImport,
  media: benchMedia,
  stalls: benchStalls,
  broadcast: benchBroadcast,
  graph: benchGraph,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const names = wanted.length ? wanted : Object.keys(BENCHES);
for (const name of names) {
  if (!BENCHES[name]) {
    console.error(`unknown benchmark ${name}; choose from ${Object.keys(BENCHES).join(", ")}`);
    process.exit(2);
  }
}
if (names.length > 1) {
  // Each benchmark in a fresh process: one's heap (and its collector's pauses) must not
  // land in the next one's latency figures, which the load generator measures in-process.
  console.log(`Sandesh benchmarks, ${new Date().toISOString()}, ${machine()}`);
  for (const name of names) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name, "--child"], { stdio: "inherit" });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  process.exit(0);
}
if (!process.argv.includes("--child")) console.log(`Sandesh benchmarks, ${new Date().toISOString()}, ${machine()}`);
for (const name of names) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark ${name}; choose from ${Object.keys(BENCHES).join(", ")}`);
    process.exit(2);
  }
  console.log(`\n## ${name}: running…`);
  const r = await bench();
  console.log(`## ${r.name}`);
  for (const l of r.lines) console.log(`  ${l}`);
}
process.exit(0);
