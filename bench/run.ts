import { benchAccept } from "./accept.js";
import { benchGate } from "./gate.js";
import { benchSendWorker } from "./send-worker.js";
import { benchIngest } from "./ingest.js";
import { machine } from "./support/env.js";

/**
 * `npm run bench [-- name…]`: each benchmark prints its figures beside a baseline
 * measured in the same run. Record results in bench/RESULTS.md with date and machine.
 */
const BENCHES: Record<string, () => Promise<{ name: string; lines: string[] }>> = {
  gate: benchGate,
  accept: benchAccept,
  send: benchSendWorker,
  ingest: benchIngest,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const names = wanted.length ? wanted : Object.keys(BENCHES);
console.log(`Sandesh benchmarks, ${new Date().toISOString()}, ${machine()}`);
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
