import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The Node versions package.json promises must be ones every runtime dependency (and
 * theirs, transitively) accepts, and the README must name the same minimum.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const semver = require("semver") as { subset(sub: string, sup: string): boolean; minVersion(range: string): { version: string } | null };

interface Manifest {
  name: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
}

const read = (file: string): Manifest => JSON.parse(readFileSync(file, "utf8"));

/** Resolves `name` the way Node would from `fromDir`, walking up node_modules folders. */
function manifestOf(name: string, fromDir: string): { file: string; manifest: Manifest } | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const file = join(dir, "node_modules", name, "package.json");
    try {
      return { file, manifest: read(file) };
    } catch {
      if (dirname(dir) === dir) return undefined;
    }
  }
}

function runtimeEngines(): { name: string; node: string }[] {
  const seen = new Set<string>();
  const out: { name: string; node: string }[] = [];
  const visit = (deps: Record<string, string> | undefined, fromDir: string) => {
    for (const name of Object.keys(deps ?? {})) {
      const found = manifestOf(name, fromDir);
      if (!found || seen.has(found.file)) continue;
      seen.add(found.file);
      if (found.manifest.engines?.node) out.push({ name, node: found.manifest.engines.node });
      visit(found.manifest.dependencies, dirname(found.file));
    }
  };
  visit(read(join(ROOT, "package.json")).dependencies, ROOT);
  return out;
}

describe("engines", () => {
  const ours = read(join(ROOT, "package.json")).engines?.node ?? "*";

  it("promises only Node versions every runtime dependency accepts", () => {
    const refused = runtimeEngines().filter((d) => !semver.subset(ours, d.node));
    expect(refused, `package.json engines.node is ${ours}`).toEqual([]);
  });

  it("the README names the same minimum Node version", () => {
    const min = semver.minVersion(ours)!.version.replace(/\.0$/, "");
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain(`Node ${min}+`);
  });
});
