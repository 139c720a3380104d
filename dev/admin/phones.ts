import { setPhonesUnmasked } from "../../lib/permissions/member.js";
import type { NodeServices } from "../services.js";
import { UsageError, type CommandResult, type Flags } from "./usage.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `user unmask|mask --workspace W --id U`: grants (or withdraws) whole phone numbers to
 * an agent or viewer (owners and admins see them by role). Audited as
 * member.phones_unmasked; takes effect on the member's next request.
 */
export async function phonesCommand(verb: "mask" | "unmask", workspaceId: string, flags: Flags, s: NodeServices): Promise<CommandResult> {
  const id = flags.id;
  if (typeof id !== "string" || !UUID.test(id)) throw new UsageError("--id is required (the member's user id)");
  const unmasked = verb === "unmask";
  const r = await setPhonesUnmasked(s, workspaceId, id, unmasked, { actorType: "operator", actorId: "admin-cli" });
  return {
    json: { workspace_id: workspaceId, user_id: id, phones_unmasked: unmasked, changed: r.changed },
    text: `${id} in workspace ${workspaceId} now sees phone numbers ${unmasked ? "whole" : "masked (unless the role shows them)"}${r.changed ? "" : " (unchanged)"}`,
  };
}
