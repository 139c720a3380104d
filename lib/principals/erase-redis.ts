import type { Services } from "../context.js";
import { idempotencyRecordKey, uniqueRecipientsKey } from "../gate/gate.js";
import { sha256Hex } from "../crypto/encoding.js";
import { temporarilyUnavailable } from "../errors.js";
import { defineScript } from "../redis/port.js";
import eraseSource from "./erase-redis.lua.js";

const ERASE = defineScript("erase_number", eraseSource);
/** Idempotency records removed per round trip. */
const CHUNK = 500;

export interface RedisTraces {
  /** The workspace's WhatsApp numbers (row ids): their unique-recipient sets and windows. */
  senderIds: string[];
  /** The Idempotency-Keys the principal's messages were accepted under. */
  idempotencyKeys: string[];
}

/**
 * What Redis (and this process's memory) holds of a number erased from the database
 * (lib/principals/erase.ts, inside its transaction, so a Redis failure undoes the erasure
 * and the caller retries while the number is still known): the senders' unique-recipient
 * sets hold the digits themselves (the hash takes their place, the tier count stays); the
 * idempotency records of its messages hold a digest of each request and its answer, and go
 * (the messages' `(workspace_id, idempotency_key)` still answers a replay). Every other
 * Redis key names ids, hashes or addresses only (docs/security.md, "Erasure reaches Redis").
 */
export async function eraseNumberInRedis(s: Services, workspaceId: string, number: string, hash: string, traces: RedisTraces): Promise<void> {
  const sets = traces.senderIds.map((id) => uniqueRecipientsKey(workspaceId, id));
  const records = await Promise.all(traces.idempotencyKeys.map(async (k) => idempotencyRecordKey(workspaceId, await sha256Hex(k))));
  let first = true;
  for (let i = 0; i < records.length || first; i += CHUNK) {
    const keys = first ? [...sets, ...records.slice(i, i + CHUNK)] : records.slice(i, i + CHUNK);
    await s.redis.run(ERASE, keys, [number, hash, first ? sets.length : 0]).catch((e: unknown) => {
      s.logger.warn("erasure could not reach Redis; rolled back", { workspace_id: workspaceId, error: e });
      throw temporarilyUnavailable("The erasure could not reach the cache; nothing was erased. Retry shortly");
    });
    first = false;
  }
  // The open-window cache (per process, 60 s) is keyed by sender and number.
  for (const id of traces.senderIds) s.caches.openWindows.delete(`${id}:${number}`);
}
