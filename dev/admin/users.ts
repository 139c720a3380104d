import { createInvitation } from "../../lib/people/invite.js";
import { isRole } from "../../lib/people/roles.js";
import type { NodeServices } from "../services.js";
import { UsageError, type CommandResult, type Flags } from "./usage.js";

/**
 * `user invite --workspace W --email E --role R`: a one-time link for E to join W,
 * printed once (only its hash is stored), valid 72 hours. The same answer whether or
 * not E already has an account.
 */
export async function userCommand(verb: string | undefined, workspaceId: string, flags: Flags, s: NodeServices): Promise<CommandResult> {
  if (verb !== "invite") throw new UsageError(verb ? `unknown command: user ${verb}` : "user needs a verb: invite");
  const email = flags.email;
  if (typeof email !== "string" || !email) throw new UsageError("--email is required (the invitee's email address)");
  const role = flags.role ?? "owner";
  if (!isRole(role)) throw new UsageError("--role must be owner, admin, agent or viewer");
  const inv = await createInvitation(s, { workspaceId, email, role }, { actorType: "operator", actorId: "admin-cli" });
  return {
    json: { id: inv.id, workspace_id: inv.workspaceId, email: inv.email, role: inv.role, expires_at: inv.expiresAt.toISOString(), link: inv.link },
    text: `invitation ${inv.id} for ${inv.email} (${inv.role}) in workspace ${inv.workspaceId}\n\n  ${inv.link}\n\nOpen it in a browser to register a passkey or sign in with Google. It works once, expires ${inv.expiresAt.toISOString()}, and is shown only now.`,
  };
}
