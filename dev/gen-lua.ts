import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Lua scripts live as .lua files next to the code that calls them. Workers, Node and
 * vitest cannot all import a .lua file as text, so each gets a generated sibling
 * `<name>.lua.ts` exporting the source. `npm run gen:lua` writes them; a test fails
 * when one is stale.
 */
export async function luaModules(root = "lib"): Promise<{ path: string; expected: string }[]> {
  const out: { path: string; expected: string }[] = [];
  for (const entry of await readdir(root, { recursive: true })) {
    if (!entry.endsWith(".lua")) continue;
    const src = await readFile(join(root, entry), "utf8");
    out.push({ path: join(root, `${entry}.ts`), expected: `// Generated from ${entry.split("/").pop()} by \`npm run gen:lua\`; edit the .lua file.\nexport default ${JSON.stringify(src)};\n` });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const m of await luaModules()) {
    await writeFile(m.path, m.expected);
    console.log(`wrote ${m.path}`);
  }
}
