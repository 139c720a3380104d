import { and, arrayContains, gte, isNotNull, isNull, lt, eq, type SQL } from "drizzle-orm";
import * as v from "valibot";
import { contacts, messages, type MessageStatus } from "../../db/schema/index.js";

const STATUSES = ["queued", "sending", "retrying", "sent", "delivered", "read", "failed", "received", "canceled"] as const satisfies readonly MessageStatus[];
const Instant = v.pipe(v.string(), v.isoTimestamp("must be an ISO 8601 time with its offset, like 2026-12-01T00:00:00Z"));

export const ContactsFilter = v.strictObject({
  tag: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(256))),
  opted_in: v.optional(v.boolean()),
});
export const MessagesFilter = v.strictObject({
  status: v.optional(v.picklist(STATUSES)),
  direction: v.optional(v.picklist(["inbound", "outbound"])),
  since: v.optional(Instant),
  until: v.optional(Instant),
});

/** POST /v1/exports: what to export, in which format, narrowed how. */
export const CreateExport = v.variant("kind", [
  v.strictObject({ kind: v.literal("contacts"), format: v.optional(v.picklist(["csv", "jsonl"]), "csv"), filter: v.optional(ContactsFilter, {}) }),
  v.strictObject({ kind: v.literal("messages"), format: v.optional(v.picklist(["csv", "jsonl"]), "csv"), filter: v.optional(MessagesFilter, {}) }),
]);
export type CreateExportInput = v.InferOutput<typeof CreateExport>;
export type ContactsFilterInput = v.InferOutput<typeof ContactsFilter>;
export type MessagesFilterInput = v.InferOutput<typeof MessagesFilter>;

/** The rows an export of contacts covers: the same condition counts them when asked and reads them when produced. */
export function contactsWhere(f: ContactsFilterInput): SQL | undefined {
  const where: SQL[] = [];
  if (f.tag) where.push(arrayContains(contacts.tags, [f.tag]));
  if (f.opted_in === true) where.push(isNotNull(contacts.marketingOptInAt));
  if (f.opted_in === false) where.push(isNull(contacts.marketingOptInAt));
  return where.length ? and(...where) : undefined;
}

export function messagesWhere(f: MessagesFilterInput): SQL | undefined {
  const where: SQL[] = [];
  if (f.status) where.push(eq(messages.status, f.status));
  if (f.direction) where.push(eq(messages.direction, f.direction));
  if (f.since) where.push(gte(messages.createdAt, new Date(f.since)));
  if (f.until) where.push(lt(messages.createdAt, new Date(f.until)));
  return where.length ? and(...where) : undefined;
}
