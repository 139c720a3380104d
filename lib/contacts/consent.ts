import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import type { ConsentInput } from "./schema.js";
import { validationFailed } from "../errors.js";
import type { OutgoingEvent } from "../webhooks/emit.js";

/**
 * Marketing consent as evidence. The contact row holds the current state (opted in, with
 * when and how; or opted out, likewise: one clears the other); every change is also one
 * contact_consent_events row naming who made it. A change that changes nothing (opting
 * in a contact already opted in) records nothing.
 */
export type ConsentKind = "opt_in" | "opt_out";
export type ConsentActorType = "user" | "api_key" | "operator" | "system" | "contact";

export interface ConsentChange {
  kind: ConsentKind;
  /** How: api, import, keyword, inbound, or the caller's own word (web_form …). */
  source: string;
  at: Date;
  actorType: ConsentActorType;
  actorId: string | null;
  details?: Record<string, unknown>;
}

/** Applies one change to one contact in the caller's transaction; true if the state changed. */
export async function changeConsent(tx: Tx, contactId: string, c: ConsentChange): Promise<boolean> {
  const at = c.at.toISOString();
  const update =
    c.kind === "opt_in"
      ? sql`update contacts set marketing_opt_in_at = ${at}, marketing_opt_in_source = ${c.source}, opted_out_at = null, opted_out_source = null, updated_at = now()
            where id = ${contactId} and marketing_opt_in_at is null returning id, workspace_id`
      : sql`update contacts set opted_out_at = ${at}, opted_out_source = ${c.source}, marketing_opt_in_at = null, marketing_opt_in_source = null, updated_at = now()
            where id = ${contactId} and opted_out_at is null returning id, workspace_id`;
  const rows = await tx.execute(sql`
    with changed as (${update})
    insert into contact_consent_events (workspace_id, contact_id, consent, source, actor_type, actor_id, occurred_at, details)
    select workspace_id, id, ${c.kind}, ${c.source}, ${c.actorType}, ${c.actorId}, ${at}, ${JSON.stringify(c.details ?? {})}::jsonb from changed
    returning contact_id`);
  return rows.length > 0;
}

/** The outgoing webhook event of a change that changed something (contact.opted_in | contact.opted_out). */
export const consentEvent = (kind: ConsentKind, contact: { id: string; waId: string }, source: string, at: Date, details: Record<string, unknown> = {}): OutgoingEvent => ({
  type: kind === "opt_out" ? "contact.opted_out" : "contact.opted_in",
  timestamp: at,
  data: { wa_id: contact.waId, contact_id: contact.id, source, ...details },
});

/**
 * A create's or update's consent fields, applied in the caller's transaction: the events of
 * the changes that changed something, for the caller to record with them.
 */
export async function applyConsentInput(
  tx: Tx,
  contact: { id: string; waId: string },
  input: { marketing_opt_in?: ConsentInput | undefined; marketing_opt_out?: ConsentInput | undefined },
  now: Date,
  who: { actorType: ConsentActorType; actorId: string | null },
): Promise<OutgoingEvent[]> {
  const events: OutgoingEvent[] = [];
  for (const [kind, value] of [["opt_in", input.marketing_opt_in], ["opt_out", input.marketing_opt_out]] as const) {
    if (value === undefined) continue;
    const change = consentFromInput(kind, value, now, who);
    if (await changeConsent(tx, contact.id, change)) events.push(consentEvent(kind, contact, change.source, change.at));
  }
  return events;
}

/** An API request's consent field as a change: `true` is now, by the API; an object says when and how. */
export function consentFromInput(kind: ConsentKind, input: ConsentInput, now: Date, actor: { actorType: ConsentActorType; actorId: string | null }): ConsentChange {
  const at = input === true || input.at === undefined ? now : new Date(input.at);
  if (at.getTime() > now.getTime() + 60_000) throw validationFailed([{ field: kind === "opt_in" ? "marketing_opt_in.at" : "marketing_opt_out.at", message: "must not be in the future" }]);
  return { kind, source: input === true ? "api" : (input.source ?? "api"), at, ...actor };
}

/** A contact's consent history, oldest first. */
export async function consentHistory(tx: Tx, contactId: string) {
  const rows = await tx.execute<{ kind: ConsentKind; source: string; actor_type: string; actor_id: string | null; occurred_at: string; details: Record<string, unknown> }>(sql`
    select consent as kind, source, actor_type, actor_id, occurred_at, details from contact_consent_events where contact_id = ${contactId} order by occurred_at, created_at`);
  return rows.map((r) => ({ kind: r.kind, source: r.source, actor: { type: r.actor_type, id: r.actor_id }, at: new Date(r.occurred_at).toISOString(), details: r.details }));
}
