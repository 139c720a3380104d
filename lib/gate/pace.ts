import type { Clock } from "../clock.js";
import { defineScript, type RedisPort } from "../redis/port.js";
import paceSource from "./pace.lua.js";

const PACE = defineScript("send_pace", paceSource);
const MAX_WAIT_MS = 5_000;

/**
 * Waits for this number's next send slot. Returns false when the backlog is longer
 * than a job should hold a worker for; the caller hands the job back to the queue.
 */
export async function paceSend(redis: RedisPort, clock: Clock, workspaceId: string, numberId: string, perSecond: number): Promise<boolean> {
  const wait = Number(await redis.run(PACE, [`{w:${workspaceId}}:pace:${numberId}`], [clock.now().getTime(), 1000 / perSecond, MAX_WAIT_MS]));
  if (wait < 0) return false;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  return true;
}
