import { sql } from "drizzle-orm";
import { migrate } from "../../db/migrate.js";
import { createApiKey, revokeApiKey } from "../../lib/apikeys/manage.js";
import { AppError } from "../../lib/errors.js";
import { rotateVault } from "../../lib/vault/rotate.js";
import { connectNumber } from "../../lib/whatsapp/numbers.js";
import { createWorkspace } from "../../lib/workspaces/workspaces.js";
import type { NodeServices } from "../services.js";

export class UsageError extends Error {}

export type Flags = Record<string, string | boolean | undefined>;
export interface CommandResult {
  json: unknown;
  text: string;
}

const OPERATOR = { actorType: "operator" as const, actorId: "admin-cli" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function need(flags: Flags, name: string, what: string, shape?: RegExp): string {
  const v = flags[name];
  if (typeof v !== "string" || !v) throw new UsageError(`--${name} is required (${what})`);
  if (shape && !shape.test(v)) throw new UsageError(`--${name} must be ${what}`);
  return v;
}

export const USAGE = `Usage: npm run admin -- <command> [--json]

  migrate                                          apply database migrations (idempotent)
  workspace create --name N                        create a workspace
  apikey create --workspace W [--name N]           create an API key (printed once, only here)
  apikey revoke --id K                             revoke an API key (effective on the next request)
  whatsapp connect --workspace W --phone-number-id P --waba-id B
                   (--token T | --token-stdin) [--display-number D] [--throughput N]
                                                   connect a WhatsApp number; the token goes into the vault
  vault rotate                                     re-encrypt every sealed field to the current key version`;

export interface Commands {
  migrationUrl: string;
  services: () => Promise<NodeServices>;
  readStdin: () => Promise<string>;
}

export async function runCommand(words: string[], flags: Flags, deps: Commands): Promise<CommandResult> {
  const cmd = words.join(" ");
  if (cmd === "migrate") {
    const r = await migrate(deps.migrationUrl);
    return { json: r, text: r.applied.length ? `applied ${r.applied.join(", ")}` : `up to date (${r.skipped} migrations)` };
  }
  // Every other command works on a migrated database.
  await migrate(deps.migrationUrl);
  const s = await deps.services();
  switch (cmd) {
    case "workspace create": {
      const w = await createWorkspace(s, need(flags, "name", "the workspace's name"));
      return { json: w, text: `workspace ${w.id} (${w.name})` };
    }
    case "apikey create": {
      const ws = need(flags, "workspace", "a workspace id", UUID);
      const name = typeof flags.name === "string" ? flags.name : "default";
      const k = await createApiKey(s, ws, name, OPERATOR);
      return {
        json: { id: k.id, workspace_id: k.workspaceId, name: k.name, prefix: k.prefix, key: k.key, created_at: k.createdAt.toISOString() },
        text: `api key ${k.id} (${k.name})\n\n  ${k.key}\n\nThis is the only time the key is shown. Store it now.`,
      };
    }
    case "apikey revoke": {
      const id = need(flags, "id", "an API key id", UUID);
      const rows = await s.db.execute<{ workspace_id: string }>(sql`select workspace_id from api_keys where id = ${id}`);
      if (!rows[0]) throw new AppError(404, "not_found", `API key ${id} not found`);
      await revokeApiKey(s, rows[0].workspace_id, id, OPERATOR);
      return { json: { id, revoked: true }, text: `api key ${id} revoked` };
    }
    case "whatsapp connect": {
      const token = flags["token-stdin"] ? (await deps.readStdin()).trim() : need(flags, "token", "the Meta access token, or use --token-stdin");
      const throughput = typeof flags.throughput === "string" ? Number(flags.throughput) : undefined;
      if (throughput !== undefined && !(Number.isInteger(throughput) && throughput >= 1 && throughput <= 1000)) {
        throw new UsageError("--throughput must be a whole number of messages per second, 1 to 1000");
      }
      const n = await connectNumber(
        s,
        {
          workspaceId: need(flags, "workspace", "a workspace id", UUID),
          phoneNumberId: need(flags, "phone-number-id", "Meta's numeric phone-number id", /^\d{1,32}$/),
          wabaId: need(flags, "waba-id", "Meta's numeric WhatsApp Business Account id", /^\d{1,32}$/),
          token,
          ...(typeof flags["display-number"] === "string" ? { displayNumber: flags["display-number"] } : {}),
          ...(throughput ? { throughputMps: throughput } : {}),
        },
        OPERATOR,
      );
      return { json: n, text: `number ${n.phone_number_id} connected to workspace ${n.workspace_id} (token sealed in the vault)` };
    }
    case "vault rotate": {
      const ids = (await s.db.execute<{ id: string }>(sql`select id from workspaces order by created_at`)).map((r) => r.id);
      const lines: string[] = [];
      const r = await rotateVault(s, ids, (p) => lines.push(`  ${p.table}: ${p.rotated} re-sealed in workspace ${p.workspaceId}`));
      return { json: { rotated: r.rotated, key_version: s.vault.currentVersion }, text: [...lines, `${r.rotated} fields now at key version ${s.vault.currentVersion}`].join("\n") };
    }
    default:
      throw new UsageError(cmd ? `unknown command: ${cmd}` : "no command given");
  }
}
