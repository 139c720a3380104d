import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { changeConsent, consentEvent } from "../contacts/consent.js";
import { uuidv7 } from "../ids.js";
import { recordInboundMedia, type MediaLinker } from "../media/inbound.js";
import type { OutgoingEvent } from "../webhooks/emit.js";
import { fromUnixSeconds, type MetaInbound } from "./payload.js";

export const DEFAULT_OPT_OUT = ["STOP", "UNSUBSCRIBE"];
export const DEFAULT_OPT_IN = ["START"];

export interface Keywords {
  optOut: Set<string>;
  optIn: Set<string>;
}

export function keywordsFrom(settings: Record<string, unknown> | null | undefined): Keywords {
  const list = (v: unknown, d: string[]) => (Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : d).map((x) => x.trim().toUpperCase());
  return { optOut: new Set(list(settings?.opt_out_keywords, DEFAULT_OPT_OUT)), optIn: new Set(list(settings?.opt_in_keywords, DEFAULT_OPT_IN)) };
}

/** The words a person typed or tapped, for keyword matching. */
function spokenText(m: MetaInbound): string | null {
  const t = m as Record<string, { body?: string; text?: string; button_reply?: { title?: string } }>;
  if (m.type === "text") return t.text?.body ?? null;
  if (m.type === "button") return t.button?.text ?? null;
  if (m.type === "interactive") return t.interactive?.button_reply?.title ?? null;
  return null;
}

/**
 * An inbound message: the contact is created or refreshed, the message stored once
 * (Meta's id is unique; a retried webhook inserts nothing and triggers nothing), the
 * 24-hour window for this contact and number opened, and opt-out keywords honoured.
 */
export async function applyInbound(
  tx: Tx,
  ctx: { workspaceId: string; numberId: string; phoneNumberId: string; keywords: Keywords; mediaLink?: MediaLinker; erasedAs?: (waId: string) => Promise<string[]> },
  m: MetaInbound,
  profileName: string | undefined,
): Promise<OutgoingEvent[]> {
  if (!/^\d{5,20}$/.test(m.from)) return [];
  const at = fromUnixSeconds(m.timestamp);
  // An erased contact is held under the keyed hash of its number: a later message (a STOP)
  // from the number is still that contact's, so its opt-out is recorded against it.
  const hashes = ctx.erasedAs ? await ctx.erasedAs(m.from) : [];
  const [erased] = hashes.length
    ? await tx.execute<{ id: string }>(sql`
        update contacts set last_inbound_at = greatest(last_inbound_at, ${at.toISOString()}), updated_at = now()
        where wa_id = any(${`{${hashes.join(",")}}`}::text[]) returning id`)
    : [];
  const [contact] = erased ? [erased] : await tx.execute<{ id: string }>(sql`
    insert into contacts (workspace_id, wa_id, profile_name, last_inbound_at)
    values (${ctx.workspaceId}, ${m.from}, ${profileName ?? null}, ${at.toISOString()})
    on conflict (workspace_id, wa_id) do update set
      profile_name = coalesce(excluded.profile_name, contacts.profile_name),
      last_inbound_at = greatest(contacts.last_inbound_at, excluded.last_inbound_at),
      updated_at = now()
    returning id`);
  const inserted = await tx.execute<{ id: string }>(sql`
    insert into messages (id, workspace_id, whatsapp_number_id, contact_id, direction, recipient, type, payload, status, wamid, created_at, updated_at)
    values (${uuidv7(at.getTime())}, ${ctx.workspaceId}, ${ctx.numberId}, ${contact!.id}, 'inbound', ${m.from}, ${m.type},
            ${JSON.stringify(m)}::jsonb, 'received', ${m.id}, ${at.toISOString()}, now())
    on conflict (workspace_id, wamid) where wamid is not null do nothing
    returning id`);
  if (!inserted.length) return []; // a duplicate delivery from Meta: already handled

  await tx.execute(sql`
    insert into customer_windows (workspace_id, whatsapp_number_id, wa_id, last_inbound_at)
    values (${ctx.workspaceId}, ${ctx.numberId}, ${m.from}, ${at.toISOString()})
    on conflict (whatsapp_number_id, wa_id) do update set last_inbound_at = greatest(customer_windows.last_inbound_at, excluded.last_inbound_at)`);

  const media = await recordInboundMedia(tx, ctx, m);
  const events: OutgoingEvent[] = [
    { type: "message.received", timestamp: at, data: { id: inserted[0]!.id, wamid: m.id, from: m.from, to: ctx.phoneNumberId, type: m.type, profile_name: profileName ?? null, message: m, ...(media ? { media } : {}) },
      meta: { message: m, contact: { ...(profileName === undefined ? {} : { profile: { name: profileName } }), wa_id: m.from } },
    },
  ];
  const words = spokenText(m)?.trim().toUpperCase();
  // Consent by keyword is evidence like any other: the contact itself, with the message that said it.
  const keyword = words && ctx.keywords.optOut.has(words) ? "opt_out" : words && ctx.keywords.optIn.has(words) ? "opt_in" : null;
  if (keyword) {
    const change = { kind: keyword, source: "keyword", at, actorType: "contact", actorId: m.from, details: { keyword: words, wamid: m.id } } as const;
    if (await changeConsent(tx, contact!.id, change)) {
      events.push(consentEvent(keyword, { id: contact!.id, waId: m.from }, "keyword", at, { keyword: words }));
    }
  }
  return events;
}
