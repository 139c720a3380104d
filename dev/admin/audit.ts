import { verifyChains } from "../../lib/audit/verify.js";
import type { NodeServices } from "../services.js";
import { UsageError, type CommandResult } from "./usage.js";

/**
 * `audit verify [--workspace W]`: the operator's connection is the owner's, which sees
 * every workspace's rows (row-level security's maintenance policy), so the walk is whole.
 * Exit 1 when any chain is broken, naming the first bad seq of each.
 */
export async function auditCommand(verb: string | undefined, workspaceId: string | undefined, s: NodeServices): Promise<CommandResult> {
  if (verb !== "verify") throw new UsageError("audit takes: verify [--workspace W]");
  const reports = await verifyChains(s.db, workspaceId);
  const broken = reports.filter((r) => !r.ok);
  const lines = reports.map((r) => r.ok
    ? `ok      ${r.workspace_id}  ${r.rows} rows, head ${r.head_hash}`
    : `BROKEN  ${r.workspace_id}  first bad seq ${r.first_bad_seq}: ${r.message}`);
  lines.push(broken.length ? `${broken.length} of ${reports.length} chains broken` : `${reports.length} chains intact`);
  return { json: { ok: broken.length === 0, workspaces: reports }, text: lines.join("\n"), exitCode: broken.length ? 1 : 0 };
}
