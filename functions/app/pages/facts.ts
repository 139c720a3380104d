import type { Context } from "hono";
import { AppError } from "../../../lib/errors.js";
import { userWorkspaces } from "../../../lib/people/memberships.js";
import type { SessionAuth } from "../../../lib/sessions/auth.js";
import type { AppEnv } from "../../env.js";
import { phoneViewOf } from "../../middleware/phones.js";
import type { PhoneView } from "../../../lib/permissions/phones.js";
import { sessionOf } from "../middleware/session.js";
import { takeFlash } from "./flash.js";

export interface WorkspaceChoice {
  id: string;
  name: string;
}

/** What the layout of every signed-in page needs: who, where, and the other places they may go. */
export interface PageFacts {
  session: SessionAuth;
  workspace: WorkspaceChoice | null;
  workspaces: WorkspaceChoice[];
  flash: string | null;
  /** How this viewer is shown phone numbers (displayPhone): whole or masked, by lib/permissions. */
  phones: PhoneView;
}

/** The workspace the session works in; a person without one is told so. */
export function workspaceOf(c: Context<AppEnv>): string {
  const id = sessionOf(c).workspaceId;
  if (!id) throw new AppError(409, "no_workspace", "You are not a member of any workspace yet; ask an owner to invite you");
  return id;
}

export async function pageFacts(c: Context<AppEnv>): Promise<PageFacts> {
  const session = sessionOf(c);
  const workspaces = (await userWorkspaces(c.env.services, session.userId)).map((w) => ({ id: w.workspaceId, name: w.workspaceName }));
  const workspace = workspaces.find((w) => w.id === session.workspaceId) ?? null;
  return { session, workspace, workspaces, flash: takeFlash(c), phones: phoneViewOf(c) };
}

/** The page's `:id`; an unknown or malformed one is the object's 404, decided where it is looked up. */
export const idParam = (c: Context<AppEnv>): string => c.req.param("id") ?? "";
