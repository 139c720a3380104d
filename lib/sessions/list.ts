import { and, desc, gt, isNull } from "drizzle-orm";
import { sessions } from "../../db/schema/index.js";
import { withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { IDLE_MS } from "./auth.js";
import { deviceName } from "./device.js";

export interface SessionView {
  id: string;
  device: string;
  ip: string | null;
  method: "passkey" | "google";
  createdAt: Date;
  lastSeenAt: Date;
  /** The session asking. */
  current: boolean;
}

/** The person's live sessions (neither revoked nor expired), most recent sign-in first. */
export async function listSessions(s: Services, userId: string, currentSessionId: string): Promise<SessionView[]> {
  const now = s.clock.now();
  const rows = await withUser(s.db, userId, (tx) =>
    tx
      .select()
      .from(sessions)
      .where(and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now), gt(sessions.lastSeenAt, new Date(now.getTime() - IDLE_MS))))
      .orderBy(desc(sessions.createdAt))
      .limit(200),
  );
  return rows.map((r) => ({ id: r.id, device: deviceName(r.userAgent), ip: r.ip, method: r.method, createdAt: r.createdAt, lastSeenAt: r.lastSeenAt, current: r.id === currentSessionId }));
}
