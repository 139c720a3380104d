import postgres from "postgres";
import { createNodeServices, type NodeServices } from "../../dev/services.js";
import { createApiKey } from "../../lib/apikeys/manage.js";
import { parseConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { createWorkspace } from "../../lib/workspaces/workspaces.js";

/**
 * A benchmark's workspace: request limits far past any load here (the bench measures the
 * path, not a limit), an API key, the setup services (close them when done) and the owner's connection.
 */
export async function benchTenant(env: Record<string, string>, ownerUrl: string, name: string): Promise<{ setup: NodeServices; owner: postgres.Sql; workspaceId: string; apiKey: string }> {
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
  const setup = createNodeServices(parsed.config, { databaseUrl: ownerUrl, logger: createLogger("silent") });
  const ws = await createWorkspace(setup, name);
  const owner = postgres(ownerUrl, { max: 1, onnotice: () => {} });
  await owner`update workspaces set settings = ${owner.json({ limits: { apiKey: { limit: 1e6, periodMs: 1000 }, ip: { limit: 1e6, periodMs: 1000 }, workspace: { limit: 1e6, periodMs: 1000 }, perNumberPerDay: 1e8 } } as never)} where id = ${ws.id}`;
  const key = await createApiKey(setup, ws.id, "bench", { actorType: "operator" });
  return { setup, owner, workspaceId: ws.id, apiKey: key.key };
}
