/**
 * UUIDv7: time-ordered, so message ids sort by creation and the tracker's cursor is
 * cheap; random enough (74 bits) that ids are not guessable.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  // randomUUID draws from a pooled entropy buffer: per-call getRandomValues cost ~5 % of
  // the accept path. Its version-4 layout keeps 74 random bits once the first 48 carry the
  // time and the version nibble says 7; the variant bits are already RFC 9562's.
  const r = crypto.randomUUID();
  const t = Math.floor(nowMs).toString(16).padStart(12, "0");
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r.slice(15)}`;
}

/** Below every uuid: where a keyset walk in id order starts (`id > BEFORE_EVERY_ID`). */
export const BEFORE_EVERY_ID = "00000000-0000-0000-0000-000000000000";

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
