import type postgres from "postgres";
import type { Audience } from "../../db/schema/index.js";

/**
 * A page of the audience: contacts after `after` in id order (keyset: the same page
 * whether the run is the first or a restarted one), with what the skip rules read.
 */
export interface AudienceContact {
  id: string;
  wa_id: string;
  name: string | null;
  attributes: Record<string, string | number>;
  /** Whether the contact opted out, and whether it gave marketing consent (the skip rules need no more). */
  opted_out: boolean;
  opted_in: boolean;
}

/** The audience as a condition on contacts (inside the tenant's scope: RLS narrows it further). */
export function audienceWhere(t: postgres.TransactionSql, a: Audience) {
  if ("tag" in a) return t`tags @> array[${a.tag}]::text[]`;
  if ("contact_ids" in a) return t`id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(a.contact_ids)}::jsonb))`;
  return t`true`;
}

/** `after`: a contact id, or a subquery that reads it (a cursor read in the statement itself). */
export function audiencePage(t: postgres.TransactionSql, a: Audience, after: string | null | postgres.PendingQuery<postgres.Row[]>, limit: number) {
  return t<AudienceContact[]>`
    select id, wa_id, name, attributes, opted_out_at is not null as opted_out, marketing_opt_in_at is not null as opted_in from contacts
    where ${audienceWhere(t, a)} and id > coalesce(${after}::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
    order by id limit ${limit}`;
}

export type SkipReason = "opted_out" | "no_marketing_opt_in" | "invalid_number" | "missing_value";
export const SKIP_REASONS: SkipReason[] = ["opted_out", "no_marketing_opt_in", "invalid_number", "missing_value"];

/** A WhatsApp id Meta can deliver to: the international number as digits, no leading zero. */
export const VALID_WA_ID = /^[1-9]\d{6,14}$/;

/** Why this contact is not messaged, or null. Opt-out first: it is the reason that matters most. */
export function skipReason(c: AudienceContact, needsOptIn: boolean): SkipReason | null {
  if (c.opted_out) return "opted_out";
  if (needsOptIn && !c.opted_in) return "no_marketing_opt_in";
  if (!VALID_WA_ID.test(c.wa_id)) return "invalid_number";
  return null;
}

/** Workspace setting `broadcasts.require_marketing_opt_in` (on unless set to false). */
export const requiresOptIn = (settings: Record<string, unknown> | null | undefined): boolean =>
  (settings?.broadcasts as { require_marketing_opt_in?: unknown } | undefined)?.require_marketing_opt_in !== false;
