import { desc, lt, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { metaDeadLetters } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { sha256Hex } from "../crypto/encoding.js";
import { uuidv7 } from "../ids.js";
import { phoneBearing, wamidMask } from "../permissions/phones.js";

/**
 * Items of a signed Meta delivery that were not applied, kept where someone can read
 * them (meta_dead_letters, migration 0008) so that a bad item costs that item alone,
 * never the rest of the delivery. A workspace reads its own; an item no workspace can
 * be named for (an unknown number, a WABA that is not the number's) is the operator's.
 */
export type DeadLetterKind = "delivery" | "entry" | "change" | "status" | "message" | "contact";
export type DeadLetterReason = "invalid_item" | "unknown_number" | "waba_mismatch" | "rejected_by_database";
export interface Problem {
  path: string;
  message: string;
}

export interface DeadLetter {
  kind: DeadLetterKind;
  reason: DeadLetterReason;
  problems: Problem[];
  item: unknown;
  phoneNumberId: string | null;
  wabaId: string | null;
}

export const MAX_STORED_CHARS = 16 * 1024;
const SERIALISE_DEPTH = 40;

/**
 * JSON text of any parsed value, without the recursion limit JSON.stringify hits on
 * deep nesting: past SERIALISE_DEPTH a placeholder stands in. JSON's own escapes make
 * NUL and unpaired surrogates plain ASCII, so the text is always storable.
 */
export function boundedJson(value: unknown, depth = 0): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (depth >= SERIALISE_DEPTH) return '"[nested too deep]"';
  if (Array.isArray(value)) return `[${value.map((x) => boundedJson(x, depth + 1)).join(",")}]`;
  return `{${Object.entries(value).map(([k, x]) => `${JSON.stringify(k)}:${boundedJson(x, depth + 1)}`).join(",")}}`;
}

// Problem paths and messages are ours, but a path is built from received keys: keep them printable and short.
const clean = (s: string, max = 200) => s.replace(/[\u0000-\u001f\ud800-\udfff]/g, "?").slice(0, max);

interface Row {
  id: string;
  phone_number_id: string | null;
  waba_id: string | null;
  kind: DeadLetterKind;
  reason: DeadLetterReason;
  problems: Problem[];
  item: string;
  truncated: boolean;
  dedupe_key: string;
}

async function toRow(d: DeadLetter): Promise<Row> {
  const text = boundedJson(d.item);
  // The same item redelivered is the same row: keyed on what it is, not why it failed.
  return {
    id: uuidv7(),
    phone_number_id: d.phoneNumberId,
    waba_id: d.wabaId,
    kind: d.kind,
    reason: d.reason,
    problems: d.problems.slice(0, 10).map((p) => ({ path: clean(p.path), message: clean(p.message) })),
    item: text.slice(0, MAX_STORED_CHARS),
    truncated: text.length > MAX_STORED_CHARS,
    dedupe_key: await sha256Hex(`${d.kind}\n${d.phoneNumberId ?? ""}\n${text}`),
  };
}

/** In the tenant's transaction (RLS names the workspace): a redelivered item records nothing new. */
export async function recordDeadLetters(tx: Tx, workspaceId: string, letters: DeadLetter[]): Promise<number> {
  if (!letters.length) return 0;
  const rows = await Promise.all(letters.map(toRow));
  const inserted = await tx.execute(sql`
    insert into meta_dead_letters (id, workspace_id, phone_number_id, waba_id, kind, reason, problems, item, truncated, dedupe_key)
    select r.id, ${workspaceId}, r.phone_number_id, r.waba_id, r.kind, r.reason, r.problems, r.item, r.truncated, r.dedupe_key
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id uuid, phone_number_id text, waba_id text, kind text, reason text, problems jsonb, item text, truncated boolean, dedupe_key text)
    on conflict (workspace_id, dedupe_key) do nothing
    returning 1`);
  return inserted.length;
}

/** No workspace can be named: through the narrow SECURITY DEFINER insert, readable by the operator only. */
export async function recordUnrouted(tx: Tx, letters: DeadLetter[]): Promise<number> {
  if (!letters.length) return 0;
  const rows = await Promise.all(letters.map(toRow));
  const [r] = await tx.execute<{ n: number }>(sql`select sandesh_record_unrouted(${JSON.stringify(rows)}::jsonb) as n`);
  return r?.n ?? 0;
}

/** GET /v1/meta-dead-letters: the workspace's own, newest first, keyset-paginated by id. */
export async function listDeadLetters(s: Services, workspaceId: string, page: { cursor: string | null; limit: number }) {
  const rows = await withTenant(s.db, workspaceId, (tx) =>
    tx
      .select()
      .from(metaDeadLetters)
      .where(page.cursor ? lt(metaDeadLetters.id, page.cursor) : undefined)
      .orderBy(desc(metaDeadLetters.id))
      .limit(page.limit + 1),
  );
  const wamids = wamidMask(s.vault, workspaceId);
  const data = rows.slice(0, page.limit).map((r) => ({
    id: r.id,
    received_at: r.receivedAt.toISOString(),
    phone_number_id: r.phoneNumberId,
    waba_id: r.wabaId,
    kind: r.kind,
    reason: r.reason,
    problems: r.problems,
    // Meta's item holds the contact's number (lib/permissions/phones.ts).
    item: phoneBearing(r.item, wamids),
    truncated: r.truncated,
  }));
  return { data, next_cursor: rows.length > page.limit ? data[data.length - 1]!.id : null };
}
