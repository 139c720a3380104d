import { eq } from "drizzle-orm";
import { sessions } from "../../db/schema/index.js";
import { withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { userWorkspaces } from "../people/memberships.js";

/** The workspace a session works in, changed to another of the person's (the next request sees it). */
export async function switchWorkspace(s: Services, userId: string, sessionId: string, workspaceId: string): Promise<void> {
  const mine = await userWorkspaces(s, userId);
  if (!mine.some((w) => w.workspaceId === workspaceId)) throw new AppError(403, "forbidden", "Not a member of that workspace");
  await withUser(s.db, userId, (tx) => tx.update(sessions).set({ activeWorkspaceId: workspaceId }).where(eq(sessions.id, sessionId)));
}
