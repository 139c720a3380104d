import type { Context } from "hono";
import { AppError } from "../../../lib/errors.js";
import { UUID_PATTERN } from "../../../lib/ids.js";
import { switchWorkspace } from "../../../lib/sessions/switch.js";
import type { AppEnv } from "../../env.js";
import { actionDone, actionFields } from "../answer.js";
import { sessionOf } from "../middleware/session.js";

/** POST /app/workspace {workspace_id}: work in another of the person's workspaces. */
export async function switchWorkspaceRoute(c: Context<AppEnv>) {
  const s = sessionOf(c);
  const body = await actionFields(c);
  const id = body.workspace_id;
  if (typeof id !== "string" || !UUID_PATTERN.test(id)) throw new AppError(422, "validation_failed", "workspace_id must be a workspace id", { field: "workspace_id" });
  await switchWorkspace(c.env.services, s.userId, s.sessionId, id);
  return actionDone(c, "/app", { workspace_id: id });
}
