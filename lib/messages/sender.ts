import { whatsappNumbers } from "../../db/schema/index.js";
import { withDeadline } from "../../db/deadline.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError, validationFailed } from "../errors.js";

export interface Sender {
  id: string;
  phoneNumberId: string;
  throughputMps: number;
  messagingTier: string;
  tokenStatus: string;
}

/**
 * The workspace's numbers, cached per process for a few seconds; the token never enters
 * this cache. A refusal is never answered from a stale entry: connecting or reconnecting
 * a number bumps the workspace's senders stamp in Redis after it commits, and before
 * refusing (no number, unknown `from`, token not active) the cached entry's stamp is
 * compared with Redis's — one GET, only on the refusal path — and reloaded if it moved.
 * So a (re)connection made by any process is honoured by every process at once.
 */
export const SENDERS_TTL_MS = 10_000;
export const sendersStampKey = (workspaceId: string) => `{w:${workspaceId}}:senders`;

export interface SenderSet {
  rows: Sender[];
  /** The Redis stamp read before the rows were loaded ("0": never stamped); null: not read (a plain miss). */
  stamp: string | null;
}

/**
 * Concurrent misses of one workspace share one load: when the entry expires under load,
 * every request in flight would otherwise read the numbers at once, every 10 s.
 */
const loading = new WeakMap<Services["caches"]["senders"], Map<string, Promise<SenderSet>>>();

function load(s: Services, workspaceId: string, stamp: string | null): Promise<SenderSet> {
  let inFlight = loading.get(s.caches.senders);
  if (!inFlight) loading.set(s.caches.senders, (inFlight = new Map()));
  const key = `${workspaceId}:${stamp ?? ""}`;
  let p = inFlight.get(key);
  if (!p) {
    const mine = loadNow(s, workspaceId, stamp).finally(() => inFlight.delete(key));
    inFlight.set(key, mine);
    p = mine;
  }
  return p;
}

async function loadNow(s: Services, workspaceId: string, stamp: string | null): Promise<SenderSet> {
  const rows = await withDeadline(
    withTenant(s.requestDb ?? s.db, workspaceId, (tx) =>
      tx
        .select({ id: whatsappNumbers.id, phoneNumberId: whatsappNumbers.phoneNumberId, throughputMps: whatsappNumbers.throughputMps, messagingTier: whatsappNumbers.messagingTier, tokenStatus: whatsappNumbers.tokenStatus })
        .from(whatsappNumbers),
    ),
    "the sender look-up",
  );
  const set = { rows, stamp };
  s.caches.senders.set(workspaceId, set);
  return set;
}

/** After a (re)connection commits: every process's next refusal reloads. */
export async function sendersChanged(s: Services, workspaceId: string): Promise<void> {
  s.caches.senders.delete(workspaceId);
  await s.redis.incr(sendersStampKey(workspaceId));
}

function pickSender(all: Sender[], from: string | undefined): Sender | AppError {
  let pick: Sender | undefined;
  if (from) {
    pick = all.find((n) => n.phoneNumberId === from);
    if (!pick) return new AppError(422, "unknown_sender", `Phone-number id ${from} is not connected to this workspace`, [{ field: "from", message: "is not a connected phone-number id" }]);
  } else if (all.length === 1) {
    pick = all[0];
  } else if (all.length === 0) {
    return new AppError(422, "no_whatsapp_number", "Connect a WhatsApp number to this workspace before sending");
  } else {
    return validationFailed([{ field: "from", message: "is required when the workspace has several numbers" }], "This workspace has several numbers: say which one sends with `from`");
  }
  if (pick!.tokenStatus !== "active") {
    return new AppError(422, "sender_token_invalid", `Meta refused the token of ${pick!.phoneNumberId}; connect it again with a new token`);
  }
  return pick!;
}

export async function resolveSender(s: Services, workspaceId: string, from: string | undefined): Promise<Sender> {
  const cached = s.caches.senders.get(workspaceId);
  let picked = pickSender((cached ?? (await load(s, workspaceId, null))).rows, from);
  // A refusal from the entry just loaded is current; one from an older entry is checked.
  if (picked instanceof AppError && cached) {
    const stamp = (await s.redis.get(sendersStampKey(workspaceId))) ?? "0";
    if (stamp !== cached.stamp) picked = pickSender((await load(s, workspaceId, stamp)).rows, from);
  }
  if (picked instanceof AppError) throw picked;
  return picked;
}
