import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { freePort, runTs, startTs, type Ran, type Running } from "../../support/spawn.js";
import { childEnv, createTestStack, type TestStack } from "../../support/stack.js";

/**
 * Sandesh as `npm start` runs it (dev/server.ts in a process of its own, with the Meta
 * sandbox and the dev issuers it starts when nothing else is configured), on this
 * file's own database and Redis prefix (test/support/stack.ts), serving
 * http://localhost:<port>, the origin a browser on the same machine uses and a secure
 * context for Chromium (WebAuthn, `__Host-` cookies).
 */
export interface BrowserSandesh {
  url: string;
  stack: TestStack;
  env: Record<string, string>;
  server: Running;
  /** `npm run admin -- …` against the same database, as an operator types it. */
  admin(args: string[], stdin?: string): Promise<Ran>;
  stop(): Promise<void>;
}

export async function startBrowserSandesh(extraEnv: Record<string, string> = {}): Promise<BrowserSandesh> {
  // Its own folder: .data/ (the sandbox's webhook spool) belongs to this server alone.
  const dir = await mkdtemp(join(tmpdir(), "sandesh-browser-"));
  const port = await freePort();
  const url = `http://localhost:${port}`;
  // The stack's own services (seeding, invitations made in the test) speak of the same public URL.
  const stack = await createTestStack({ PUBLIC_URL: url });
  // tsx reads the tsconfig of its working folder; the pages' JSX settings are the repository's.
  const env = { ...childEnv(stack), TSX_TSCONFIG_PATH: fileURLToPath(new URL("../../../tsconfig.json", import.meta.url)), HOST: "127.0.0.1", PORT: String(port), PUBLIC_URL: url, ...extraEnv };
  const server = startTs("dev/server.ts", env, { cwd: dir });
  try {
    await server.waitFor(/listening on/, 120_000);
  } catch (err) {
    await server.stop();
    await stack.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    stack,
    env,
    server,
    admin: (args, stdin) => runTs("dev/admin/cli.ts", args, env, stdin, { cwd: dir }),
    async stop() {
      await server.stop();
      await stack.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One Sandesh for the file: started before its tests, stopped after them. */
export function useSandesh(extraEnv: Record<string, string> = {}): () => BrowserSandesh {
  let sandesh: BrowserSandesh | undefined;
  beforeAll(async () => {
    sandesh = await startBrowserSandesh(extraEnv);
  });
  afterAll(async () => {
    await sandesh?.stop();
  });
  return () => {
    if (!sandesh) throw new Error("Sandesh starts in beforeAll");
    return sandesh;
  };
}
