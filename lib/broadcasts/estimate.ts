import { eq } from "drizzle-orm";
import { whatsappNumbers, workspaces } from "../../db/schema/index.js";
import { withTenant, withTenantSql } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { audienceWhere, requiresOptIn, VALID_WA_ID } from "./audience.js";
import { loadBroadcast } from "./get.js";
import { placeholderFields } from "./placeholders.js";
import { formatMicros } from "./price.js";
import { tierLimit, tierRoom } from "./tier.js";

/**
 * GET /v1/broadcasts/{id}/estimate, before it runs: who would be messaged after the
 * skips (the run's own rules), how long it takes at the number's throughput within its
 * messaging tier (the gate's count of unique recipients) (recipients beyond it wait for later 24-hour windows), and what it costs
 * by the workspace's rate card (the broadcast's category × each recipient's country code).
 */
export async function estimateBroadcast(s: Services, workspaceId: string, id: string) {
  const { b, tier, mps, settings } = await withTenant(s.db, workspaceId, async (tx) => {
    const b = await loadBroadcast(tx, id);
    const [n] = await tx.select({ tier: whatsappNumbers.messagingTier, mps: whatsappNumbers.throughputMps }).from(whatsappNumbers).where(eq(whatsappNumbers.id, b.whatsappNumberId));
    const [w] = await tx.select({ settings: workspaces.settings }).from(workspaces).where(eq(workspaces.id, workspaceId));
    return { b, tier: n?.tier ?? "TIER_250", mps: n?.mps ?? 80, settings: w?.settings ?? {} };
  });
  const needsOptIn = b.category === "MARKETING" && requiresOptIn(settings);
  const fields = placeholderFields(b.template.components ?? []);
  const [r] = await withTenantSql(s.db, workspaceId, async (t) => {
    const missing = [fields.name ? t`coalesce(c.name, '') = ''` : t`false`, ...fields.attributes.map((k) => t`coalesce(c.attributes->>${k}, '') = ''`)].reduce((a, x) => t`${a} or ${x}`);
    return t<{ opted_out: number; no_marketing_opt_in: number; invalid_number: number; missing_value: number; recipients: number; micros: string | null; unpriced: number; currency: string | null }[]>`
      with c as (
        select c.*, case
          when c.opted_out_at is not null then 'opted_out'
          when ${needsOptIn} and c.marketing_opt_in_at is null then 'no_marketing_opt_in'
          when c.wa_id !~ ${VALID_WA_ID.source} then 'invalid_number'
          when ${missing} then 'missing_value' end as skip
        from contacts c where ${audienceWhere(t, b.audience)}),
      priced as (
        select (select r.price_micros from rate_card_entries r where r.category = ${b.category} and c.wa_id like r.country_code || '%'
                order by length(r.country_code) desc limit 1) as price
        from c where skip is null)
      select
        (select count(*) from c where skip = 'opted_out')::int as opted_out,
        (select count(*) from c where skip = 'no_marketing_opt_in')::int as no_marketing_opt_in,
        (select count(*) from c where skip = 'invalid_number')::int as invalid_number,
        (select count(*) from c where skip = 'missing_value')::int as missing_value,
        (select count(*) from priced)::int as recipients,
        (select sum(price)::text from priced) as micros,
        (select count(*) from priced where price is null)::int as unpriced,
        (select currency from rate_card_entries limit 1) as currency`;
  });
  // The tier's room now, in the gate's own set of unique recipients (this broadcast's already taken ones included).
  const limit = tierLimit(tier);
  const free = await tierRoom(s.redis, s.clock, workspaceId, b.whatsappNumberId, tier);
  const room = free ?? r!.recipients;
  const nowCount = Math.min(r!.recipients, room);
  const beyond = r!.recipients - nowCount;
  const windows = beyond > 0 && limit > 0 ? Math.ceil(beyond / limit) : 0;
  return {
    id,
    recipients: r!.recipients,
    skipped: { opted_out: r!.opted_out, no_marketing_opt_in: r!.no_marketing_opt_in, invalid_number: r!.invalid_number, missing_value: r!.missing_value },
    throughput_mps: mps,
    messaging_tier: tier,
    tier_room: free,
    beyond_tier: beyond,
    // Sending what the tier allows now; the rest goes in later 24-hour windows.
    duration_seconds: Math.ceil(nowCount / mps),
    later_windows: windows,
    cost: { category: b.category, currency: r!.currency, amount: formatMicros(Number(r!.micros ?? 0)), unpriced: r!.unpriced },
  };
}
