import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

const GENERATED = ["MASTER_KEK", "META_APP_SECRET", "META_VERIFY_TOKEN"] as const;

/**
 * Development only: secrets that were not given are generated once and kept in
 * .data/dev-secrets.json (mode 0600), so a restart can still open what the vault
 * sealed. Production refuses to start without them instead.
 */
export async function fillDevSecrets(env: Record<string, string | undefined>, dataDir: string): Promise<string[]> {
  const missing = GENERATED.filter((n) => !env[n]);
  if (!missing.length) return [];
  const file = join(dataDir, "dev-secrets.json");
  let saved: Record<string, string> = {};
  try {
    saved = JSON.parse(await readFile(file, "utf8"));
  } catch {
    // first start
  }
  let changed = false;
  for (const name of missing) {
    if (!saved[name]) {
      saved[name] = randomBytes(32).toString("base64url");
      changed = true;
    }
    env[name] = saved[name];
  }
  if (changed) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(saved, null, 2) + "\n", { mode: 0o600 });
    await chmod(file, 0o600);
  }
  return missing;
}
