// postinstall: two guards in postgres.js 3.4.x (upstream issues #1154/#1208, fix not
// released). When a connection's socket has closed, a statement issued on it (the
// ROLLBACK of a transaction whose connection died, a reserved connection) wrote to a
// null socket from a timer: an exception outside any promise that ended the process.
// Guarded, the statement fails with CONNECTION_CLOSED like the others on that connection,
// and the connection stays in the pool's closed queue to be reconnected. Idempotent.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const MARK = "sandesh: closed socket";
// The package's entry is src/index.js (or cjs/src/index.js): its root is two levels up.
const entry = createRequire(import.meta.url).resolve("postgres");
const root = dirname(dirname(entry)).replace(/[\\/]cjs$/, "");
const edits = [
  [
    "  function execute(q) {\n",
    `  function execute(q) {\n    if (socket === null) // ${MARK}\n      return queryError(q, Errors.connection('CONNECTION_CLOSED', options)), true\n\n`,
  ],
  [
    "  function nextWrite(fn) {\n",
    `  function nextWrite(fn) {\n    if (socket === null) { // ${MARK}\n      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return true\n    }\n`,
  ],
];
for (const rel of ["src/connection.js", "cjs/src/connection.js"]) {
  const file = join(root, rel);
  if (!existsSync(file)) continue;
  let text = readFileSync(file, "utf8");
  if (text.includes(MARK)) continue;
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`postgres.js changed: "${from.trim()}" not found in ${file}; review dev/patch-postgres.mjs`);
    text = text.replace(from, to);
  }
  writeFileSync(file, text);
}
