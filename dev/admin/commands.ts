import { sql } from "drizzle-orm";
import { migrate } from "../../db/migrate.js";
import { listApiKeys } from "../../lib/apikeys/list.js";
import { createApiKey, revokeApiKey } from "../../lib/apikeys/manage.js";
import { AppError } from "../../lib/errors.js";
import { requireVaultKeys } from "../../lib/vault/key-check.js";
import { rotatePersonFields, rotateVault, type RotateProgress } from "../../lib/vault/rotate.js";
import { rotateExportChunks } from "../../lib/exports/rotate.js";
import { connectNumber, MIN_TOKEN_LENGTH } from "../../lib/whatsapp/numbers.js";
import { createWorkspace, workspaceRequiresMfa } from "../../lib/workspaces/workspaces.js";
import type { NodeServices } from "../services.js";
import { auditCommand } from "./audit.js";
import { broadcastCommand } from "./broadcasts.js";
import { phonesCommand } from "./phones.js";
import { supportCommand } from "./support.js";
import { userCommand } from "./users.js";
import { UsageError, type CommandResult, type Flags } from "./usage.js";

export { UsageError, type CommandResult, type Flags } from "./usage.js";

const OPERATOR = { actorType: "operator" as const, actorId: "admin-cli" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function need(flags: Flags, name: string, what: string, shape?: RegExp): string {
  const v = flags[name];
  if (typeof v !== "string" || !v) throw new UsageError(`--${name} is required (${what})`);
  if (shape && !shape.test(v)) throw new UsageError(`--${name} must be ${what}`);
  return v;
}

/** A name is trimmed; one of only spaces is no name. */
function nameFlag(flags: Flags, fallback?: string): string {
  const v = flags.name;
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "string" || !v) throw new UsageError("--name is required (the workspace's name)");
  if (!v.trim()) throw new UsageError("--name must not be blank");
  return v.trim();
}

/** Every missing flag at once, so one correction is enough. */
function needAll(flags: Flags, names: Record<string, string>): void {
  const missing = Object.keys(names).filter((n) => n.split("|").every((alt) => flags[alt] === undefined || flags[alt] === ""));
  if (missing.length) throw new UsageError(`missing ${missing.map((n) => n.split("|").map((a) => `--${a}`).join(" or ")).join(", ")} (${missing.map((n) => names[n]).join("; ")})`);
}

/** The workspace first: a clear "not found" instead of a failed foreign key. */
async function existingWorkspace(s: NodeServices, flags: Flags): Promise<string> {
  const id = need(flags, "workspace", "a workspace id", UUID);
  const rows = await s.db.execute<{ id: string }>(sql`select id from workspaces where id = ${id}`);
  if (!rows[0]) throw new AppError(404, "not_found", `workspace ${id} not found`);
  return id;
}

const scopeText = (scopes: readonly string[] | null) => (scopes ? `scopes: ${scopes.join(",")}` : "full access");

export const USAGE = `Usage: npm run admin -- <command> [--json]

  help                                             this text
  migrate                                          apply database migrations (idempotent)
  workspace create --name N                        create a workspace
  apikey create --workspace W [--name N] [--scopes a,b]
                                                   create an API key (printed once, only here); without --scopes: full access
  apikey list --workspace W                        a workspace's keys: prefix, scopes, created, revoked
  apikey revoke --id K                             revoke an API key (effective on the next request; again: "already revoked", exit 0)
  whatsapp connect --workspace W --phone-number-id P --waba-id B
                   (--token T | --token-stdin) [--display-number D] [--throughput N]
                                                   connect a WhatsApp number, or replace its token; the token goes into the vault
  vault rotate                                     re-encrypt every sealed field to the current key version
  broadcast list|show|pause|resume|cancel --workspace W [--id B]
                                                   a workspace's broadcasts: list them, show one with its counts, or act on one
  user invite --workspace W --email E [--role owner|admin|agent|viewer]
                                                   a one-time link (72 h) for E to join W as the role (default owner), printed once
  user unmask|mask --workspace W --id U            an agent or viewer sees phone numbers whole (or masked again); audited
  audit verify [--workspace W]                     walk each workspace's audit hash chain; exit 1 naming the first bad seq
                                                   (an edited, deleted or moved row)
  support request --workspace W --operator O --reason R [--hours N]
                                                   ask W's owners for read access (N hours, default 4, at most 72); prints
                                                   the grant id and its sgr_ token once; it reads nothing until approved
  support list --workspace W                       a workspace's support grants and their state
  support revoke --grant G                         end a support grant now (again: "already revoked", exit 0)`;

export interface Commands {
  migrationUrl: string;
  services: () => Promise<NodeServices>;
  readStdin: () => Promise<string>;
}

export async function runCommand(words: string[], flags: Flags, deps: Commands): Promise<CommandResult> {
  const cmd = words.join(" ");
  if (cmd === "migrate") {
    const r = await migrate(deps.migrationUrl);
    // Records the check of each key version used for the first time; refuses a wrong one.
    const s = await deps.services();
    await requireVaultKeys(s.db, s.vault);
    return { json: r, text: r.applied.length ? `applied ${r.applied.join(", ")}` : `up to date (${r.skipped} migrations)` };
  }
  // Every other command works on a migrated database.
  await migrate(deps.migrationUrl);
  const s = await deps.services();
  if (words[0] === "broadcast") return broadcastCommand(words[1], await existingWorkspace(s, flags), flags, s);
  if (words[0] === "user" && (words[1] === "mask" || words[1] === "unmask")) return phonesCommand(words[1], await existingWorkspace(s, flags), flags, s);
  if (words[0] === "audit") return auditCommand(words[1], typeof flags.workspace === "string" ? await existingWorkspace(s, flags) : undefined, s);
  if (words[0] === "support") return supportCommand(words[1], () => existingWorkspace(s, flags), flags, s);
  if (words[0] === "user") return userCommand(words[1], await existingWorkspace(s, flags), flags, s);
  switch (cmd) {
    case "workspace create": {
      const w = await createWorkspace(s, nameFlag(flags));
      // A new workspace requires a second factor of every member (migration 0037); the owner may turn it off on the security page.
      const requireMfa = await workspaceRequiresMfa(s, w.id);
      return { json: { ...w, require_mfa: requireMfa }, text: `workspace ${w.id} (${w.name})${requireMfa ? "; every member needs a second factor (an authenticator app or a passkey that verifies them)" : ""}` };
    }
    case "apikey create": {
      const name = nameFlag(flags, "default");
      if (flags.scopes !== undefined && (typeof flags.scopes !== "string" || !flags.scopes.trim())) throw new UsageError("--scopes must list scopes, e.g. --scopes messages:send,messages:read");
      const scopes = typeof flags.scopes === "string" ? { scopes: flags.scopes.split(",") } : {};
      const k = await createApiKey(s, await existingWorkspace(s, flags), name, OPERATOR, scopes);
      return {
        json: { id: k.id, workspace_id: k.workspaceId, name: k.name, prefix: k.prefix, scopes: k.scopes, key: k.key, created_at: k.createdAt.toISOString() },
        text: `api key ${k.id} (${k.name}, ${scopeText(k.scopes)})\n\n  ${k.key}\n\nThis is the only time the key is shown. Store it now.`,
      };
    }
    case "apikey list": {
      const keys = await listApiKeys(s, await existingWorkspace(s, flags));
      return {
        json: keys,
        text: keys.length ? keys.map((k) => `${k.id}  ${k.prefix}…  ${k.name}  ${scopeText(k.scopes)}  created ${k.created_at}${k.revoked_at ? `  revoked ${k.revoked_at}` : ""}`).join("\n") : "no API keys",
      };
    }
    case "apikey revoke": {
      const id = need(flags, "id", "an API key id", UUID);
      const rows = await s.db.execute<{ workspace_id: string }>(sql`select workspace_id from api_keys where id = ${id}`);
      if (!rows[0]) throw new AppError(404, "not_found", `API key ${id} not found`);
      const r = await revokeApiKey(s, rows[0].workspace_id, id, OPERATOR);
      return r.alreadyRevoked
        ? { json: { id, revoked: true, already_revoked: true }, text: `api key ${id} was already revoked` }
        : { json: { id, revoked: true }, text: `api key ${id} revoked` };
    }
    case "whatsapp connect": {
      needAll(flags, { workspace: "a workspace id", "phone-number-id": "Meta's numeric phone-number id", "waba-id": "Meta's numeric WhatsApp Business Account id", "token|token-stdin": "the Meta access token" });
      if (flags.token !== undefined && flags["token-stdin"]) throw new UsageError("give the token one way: --token or --token-stdin, not both");
      need(flags, "workspace", "a workspace id", UUID);
      const phoneNumberId = need(flags, "phone-number-id", "Meta's numeric phone-number id", /^\d{1,32}$/);
      const wabaId = need(flags, "waba-id", "Meta's numeric WhatsApp Business Account id", /^\d{1,32}$/);
      const throughput = typeof flags.throughput === "string" ? Number(flags.throughput) : undefined;
      if (throughput !== undefined && !(Number.isInteger(throughput) && throughput >= 1 && throughput <= 1000)) {
        throw new UsageError("--throughput must be a whole number of messages per second, 1 to 1000");
      }
      const token = flags["token-stdin"] ? (await deps.readStdin()).trim() : need(flags, "token", "the Meta access token, or use --token-stdin");
      if (token.length < MIN_TOKEN_LENGTH) throw new UsageError(`the Meta access token looks too short (${token.length} characters; Meta's are far longer)`);
      const workspaceId = await existingWorkspace(s, flags);
      const displayNumber = typeof flags["display-number"] === "string" ? { displayNumber: flags["display-number"] } : {};
      // Sealed under a wrong MASTER_KEK, the token would never open again: refused first.
      await requireVaultKeys(s.db, s.vault);
      const n = await connectNumber(s, { workspaceId, phoneNumberId, wabaId, token, ...displayNumber, ...(throughput ? { throughputMps: throughput } : {}) }, OPERATOR);
      return {
        json: n,
        text: n.token_replaced
          ? `number ${n.phone_number_id} was already connected to workspace ${n.workspace_id}: its token was replaced (the new one is sealed in the vault)`
          : `number ${n.phone_number_id} connected to workspace ${n.workspace_id} (token sealed in the vault)`,
      };
    }
    case "vault rotate": {
      await requireVaultKeys(s.db, s.vault);
      const ids = (await s.db.execute<{ id: string }>(sql`select id from workspaces order by created_at`)).map((r) => r.id);
      const lines: string[] = [];
      const progress = (p: RotateProgress) => lines.push(`  ${p.table}: ${p.rotated} re-sealed ${p.userId ? `for user ${p.userId}` : `in workspace ${p.workspaceId}`}`);
      const r = await rotateVault(s, ids, progress);
      // Person-scoped fields (TOTP secrets): only the people who have one.
      const people = (await s.db.execute<{ user_id: string }>(sql`select user_id from user_totp order by user_id`)).map((p) => p.user_id);
      const rp = await rotatePersonFields(s, people, progress);
      // Export files waiting to be downloaded (at most 24 h old), so dropping the old key never strands one.
      const re = await rotateExportChunks(s, ids, progress);
      const rotated = r.rotated + rp.rotated + re.rotated;
      return { json: { rotated, key_version: s.vault.currentVersion }, text: [...lines, `${rotated} fields now at key version ${s.vault.currentVersion}`].join("\n") };
    }
    default:
      throw new UsageError(cmd ? `unknown command: ${cmd}` : "no command given");
  }
}
