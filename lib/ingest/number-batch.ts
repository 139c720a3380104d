import { eq } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { workspaces } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { recordEvents, type OutgoingEvent } from "../webhooks/emit.js";
import { recordDeadLetters, type DeadLetter, type DeadLetterKind } from "./dead-letter.js";
import { applyInbound, keywordsFrom } from "./inbound.js";
import { mediaLinker } from "../media/inbound.js";
import type { NumberOwner } from "./owner.js";
import type { MetaInbound, MetaStatus } from "./payload.js";
import { applyStatuses, lockWamids } from "./statuses.js";

/**
 * One business number's share of a delivery, in its own transactions: another number's
 * failure cannot undo it, and it cannot undo another's. Items go in chunks of at most
 * CHUNK per transaction, so a transaction holds a bounded number of locks (one advisory
 * lock per wamid, see lib/ingest/statuses.ts) however large Meta's batch is: PostgreSQL's
 * shared lock table is sized for ~64 per connection, and one delivery of 20,000 statuses
 * in one transaction would fill it for the whole cluster.
 */
export const CHUNK = 500;

export interface NumberBatch {
  owner: NumberOwner;
  phoneNumberId: string;
  wabaId: string;
  displayPhoneNumber: string | null;
  statuses: MetaStatus[];
  messages: MetaInbound[];
  profiles: Map<string, string>;
  dead: DeadLetter[];
}

export interface BatchResult {
  statuses: number;
  inbound: number;
  events: number;
  /** Whether any outgoing webhook was recorded for the workspace. */
  recorded: boolean;
  deadLettered: number;
}

/**
 * A value the database refuses for what it is (SQLSTATE class 22 data exception, 23
 * integrity, 54 program limit): retrying cannot help, so the item is set aside. Anything
 * else (connection lost, out of resources, deadlock) fails the delivery, and Meta retries.
 */
export function cannotStore(err: unknown): string | null {
  const code = (err as { cause?: { code?: unknown } }).cause?.code ?? (err as { code?: unknown }).code;
  return typeof code === "string" && /^(22|23|54)[0-9A-Z]{3}$/.test(code) ? code : null;
}

export async function applyNumberBatch(s: Services, b: NumberBatch): Promise<BatchResult> {
  const result: BatchResult = { statuses: 0, inbound: 0, events: 0, recorded: false, deadLettered: 0 };
  const dead = [...b.dead];
  const ws = b.owner.workspaceId;

  const run = <T>(kind: DeadLetterKind, items: T[], apply: (tx: Tx, chunk: T[]) => Promise<OutgoingEvent[]>) => async () => {
    const once = (chunk: T[]) =>
      withTenant(s.db, ws, async (tx) => {
        const events = await apply(tx, chunk);
        if (b.displayPhoneNumber) for (const e of events) if (e.meta) e.meta.displayPhoneNumber = b.displayPhoneNumber;
        if ((await recordEvents(s, tx, ws, events)) > 0) result.recorded = true;
        return events.length;
      });
    let applied = 0;
    for (let i = 0; i < items.length; i += CHUNK) {
      const chunk = items.slice(i, i + CHUNK);
      try {
        result.events += await once(chunk);
        applied += chunk.length;
      } catch (err) {
        if (!cannotStore(err)) throw err;
        // Something the checks let through and the database refused: find it, keep the rest.
        for (const item of chunk) {
          try {
            result.events += await once([item]);
            applied++;
          } catch (e) {
            const code = cannotStore(e);
            if (!code) throw e;
            dead.push({ kind, reason: "rejected_by_database", problems: [{ path: "", message: `the database refused it (SQLSTATE ${code})` }], item, phoneNumberId: b.phoneNumberId, wabaId: b.wabaId });
          }
        }
      }
    }
    return applied;
  };

  result.statuses = await run("status", b.statuses, async (tx, chunk) => {
    // Sorted advisory locks for this chunk's wamids, before any row lock (see statuses.ts).
    await lockWamids(tx, chunk.map((st) => st.id));
    return applyStatuses(tx, ws, chunk);
  })();

  result.inbound = await run("message", b.messages, async (tx, chunk) => {
    const [row] = await tx.select({ settings: workspaces.settings }).from(workspaces).where(eq(workspaces.id, ws));
    const ctx = { ...b.owner, phoneNumberId: b.phoneNumberId, keywords: keywordsFrom(row?.settings), mediaLink: mediaLinker(s), erasedAs: (n: string) => s.vault.keyedHashes(n) };
    const events: OutgoingEvent[] = [];
    for (const m of chunk) events.push(...(await applyInbound(tx, ctx, m, b.profiles.get(m.from))));
    return events;
  })();

  if (dead.length) await withTenant(s.db, ws, (tx) => recordDeadLetters(tx, ws, dead));
  result.deadLettered = dead.length;
  return result;
}
