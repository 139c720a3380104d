import { sql } from "drizzle-orm";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";

/** Where one send stands, as far as an answer to its client goes. */
export type MessageOutcome =
  | { kind: "sent"; wamid: string }
  | { kind: "failed"; code: number | null; title: string | null; details: string | null }
  | { kind: "pending" };

const FIRST_WAIT_MS = 20;
const LONGEST_WAIT_MS = 250;

/**
 * Waits for the one send job to settle a message: a wamid (Meta took it) or a failure,
 * or `pending` once `deadlineMs` has passed. The job is not run here, so a message is
 * posted once whichever way it was answered. It reads the row, with a backoff from 20 ms
 * to 250 ms: the same in Node and in a Worker, where the job may run in another isolate
 * (QStash calls it back) and no subscription outlives the request.
 */
export async function awaitMessageOutcome(s: Services, workspaceId: string, messageId: string, deadlineMs: number): Promise<MessageOutcome> {
  const end = Date.now() + deadlineMs;
  let wait = FIRST_WAIT_MS;
  for (;;) {
    const outcome = await read(s, workspaceId, messageId);
    if (outcome.kind !== "pending") return outcome;
    const left = end - Date.now();
    if (left <= 0) return outcome;
    await new Promise((r) => setTimeout(r, Math.min(wait, left)));
    wait = Math.min(wait * 2, LONGEST_WAIT_MS);
  }
}

async function read(s: Services, workspaceId: string, messageId: string): Promise<MessageOutcome> {
  const [row] = await withTenant(s.db, workspaceId, (tx) =>
    tx.execute<{ status: string; wamid: string | null; error_code: number | null; error_title: string | null; error_details: string | null }>(sql`
      select status, wamid, error_code, error_title, error_details from messages where id = ${messageId}`),
  );
  if (!row) return { kind: "pending" };
  // A wamid means Meta took it, whatever happened after (a failed status comes as an event).
  if (row.wamid) return { kind: "sent", wamid: row.wamid };
  if (row.status === "failed") return { kind: "failed", code: row.error_code, title: row.error_title, details: row.error_details };
  return { kind: "pending" };
}
