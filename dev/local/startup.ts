import { join } from "node:path";
import { startMetaSandbox, type MetaSandbox } from "../meta-sandbox/index.js";
import { DEFAULT_WABA_ID } from "../meta-sandbox/server.js";
import { LocalEnvError, resolveLocalEnv, type LocalEnv } from "./env.js";
import { startLocalIssuer } from "../oidc-issuer/local.js";

/**
 * What `npm start` and `npm run dev:worker` both do first: fill in local defaults
 * (never in production; a missing Redis ends the process with one clear line), and,
 * with no Graph API configured outside production, start the Meta sandbox in its place,
 * and with no Google client the development OIDC issuer (closed with `local.close()`).
 */
export async function localStartup(port: number): Promise<{ local: LocalEnv; sandbox?: MetaSandbox }> {
  let local: LocalEnv;
  try {
    local = await resolveLocalEnv(process.env, ".data");
  } catch (err) {
    if (err instanceof LocalEnvError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  if (local.env.SANDESH_ENV === "production") return { local };
  const publicUrl = (local.env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, "");
  if (!local.env.GOOGLE_CLIENT_ID && !local.env.GOOGLE_CLIENT_SECRET) {
    const { issuer, note } = await startLocalIssuer(local.env, publicUrl);
    const closeLocal = local.close;
    local.close = async () => {
      await issuer.close();
      await closeLocal();
    };
    local.notes.push(note);
  }
  if (local.env.META_GRAPH_URL || !local.env.META_APP_SECRET) return { local };
  // Statuses not yet delivered when this process stops are kept on disk and posted by the next start, as Meta would.
  const sandbox = await startMetaSandbox({ appSecret: local.env.META_APP_SECRET, webhookUrl: `${publicUrl}/webhooks/meta`, statusDelayMs: 500, webhookSpool: join(".data", "meta-sandbox-webhooks") });
  local.env.META_GRAPH_URL = sandbox.url;
  local.notes.push(`meta: no META_GRAPH_URL, so the Meta sandbox stands in at ${sandbox.url} (recipes in dev/meta-sandbox/README.md); its status webhooks go to ${publicUrl}/webhooks/meta and name WABA ${DEFAULT_WABA_ID}: connect numbers with --waba-id ${DEFAULT_WABA_ID}`);
  return { local, sandbox };
}
