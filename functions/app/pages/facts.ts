import type { Context } from "hono";
import { AppError } from "../../../lib/errors.js";
import { getWorkspace } from "../../../lib/workspaces/workspaces.js";
import type { AppEnv } from "../../env.js";
import { takeFlash } from "./flash.js";
import type { SessionAuth } from "./session.js";

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
}

/** The session the middleware in front set; a page is never reached without one. */
export function sessionOf(c: Context<AppEnv>): SessionAuth {
  const session = c.get("session");
  if (!session) throw new AppError(401, "unauthorized", "Sign in first");
  return session;
}

/** The workspace the session works in; a person without one gets the overview's explanation. */
export function workspaceOf(c: Context<AppEnv>): string {
  const id = sessionOf(c).workspaceId;
  if (!id) throw new AppError(409, "no_workspace", "Choose a workspace first");
  return id;
}

export async function pageFacts(c: Context<AppEnv>): Promise<PageFacts> {
  const session = sessionOf(c);
  const workspace = session.workspaceId ? await getWorkspace(c.env.services, session.workspaceId) : null;
  const current = workspace ? { id: workspace.id, name: workspace.name } : null;
  return { session, workspace: current, workspaces: current ? [current] : [], flash: takeFlash(c) };
}

/** Who did it, for the audit log: the signed-in person, from where. */
export const sessionActor = (c: Context<AppEnv>) => ({
  actorType: "user" as const,
  actorId: sessionOf(c).userId,
  ip: c.env.ip ?? null,
  userAgent: c.req.header("user-agent") ?? null,
});
