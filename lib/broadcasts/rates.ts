import { parse } from "csv-parse/sync";
import { sql } from "drizzle-orm";
import { rateCardEntries } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Actor } from "../contacts/create.js";
import type { Services } from "../context.js";
import { validationFailed } from "../errors.js";
import { formatMicros } from "./price.js";

const CATEGORIES = new Set(["MARKETING", "UTILITY", "AUTHENTICATION", "SERVICE"]);
const MAX_ENTRIES = 5_000;

/**
 * PUT /v1/rate-card with a CSV `category,country_code,price[,currency]` (price in the
 * currency's units, up to 6 decimals): the workspace's card is replaced as a whole,
 * or, with any bad line, not at all (each problem named by line).
 */
export async function importRateCard(s: Services, workspaceId: string, csv: string, actor: Actor) {
  let records: Record<string, string>[];
  try {
    records = parse(csv, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, trim: true, bom: true });
  } catch (err) {
    throw validationFailed([{ field: "body", message: `is not CSV: ${(err as Error).message}` }]);
  }
  const errors: { field: string; message: string }[] = [];
  if (records.length > MAX_ENTRIES) errors.push({ field: "body", message: `at most ${MAX_ENTRIES} lines` });
  const rows = records.flatMap((r, i) => {
    const line = i + 2;
    const category = (r.category ?? "").toUpperCase();
    const cc = (r.country_code ?? "").replace(/^\+/, "");
    const price = r.price ?? "";
    const currency = (r.currency || "USD").toUpperCase();
    if (!CATEGORIES.has(category)) errors.push({ field: `line ${line}.category`, message: "must be MARKETING, UTILITY, AUTHENTICATION or SERVICE" });
    else if (!/^[1-9]\d{0,3}$/.test(cc)) errors.push({ field: `line ${line}.country_code`, message: "must be a country calling code, 1 to 4 digits" });
    else if (!/^\d{1,9}(\.\d{1,6})?$/.test(price)) errors.push({ field: `line ${line}.price`, message: "must be a price like 0.0125 (up to 6 decimals)" });
    else if (!/^[A-Z]{3}$/.test(currency)) errors.push({ field: `line ${line}.currency`, message: "must be a currency code like USD" });
    else {
      const [whole, frac = ""] = price.split(".");
      return [{ workspaceId, category, countryCode: cc, priceMicros: Number(whole) * 1_000_000 + Number(frac.padEnd(6, "0")), currency }];
    }
    return [];
  });
  if (errors.length) throw validationFailed(errors.slice(0, 100), "The rate card has lines Sandesh cannot use");
  const currencies = new Set(rows.map((r) => r.currency));
  if (currencies.size > 1) throw validationFailed([{ field: "currency", message: "must be the same on every line" }]);
  await withTenant(s.db, workspaceId, async (tx) => {
    await tx.execute(sql`delete from rate_card_entries`);
    if (rows.length) await tx.insert(rateCardEntries).values(rows).onConflictDoUpdate({ target: [rateCardEntries.workspaceId, rateCardEntries.category, rateCardEntries.countryCode], set: { priceMicros: sql`excluded.price_micros` } });
    await recordAudit(tx, { ...actor, workspaceId, action: "rate_card.imported", objectType: "rate_card", objectId: workspaceId, details: { entries: rows.length } });
  });
  return getRateCard(s, workspaceId);
}

/** GET /v1/rate-card. */
export async function getRateCard(s: Services, workspaceId: string) {
  const rows = await withTenant(s.db, workspaceId, (tx) => tx.select().from(rateCardEntries).orderBy(rateCardEntries.category, rateCardEntries.countryCode));
  return { data: rows.map((r) => ({ category: r.category, country_code: r.countryCode, price: formatMicros(r.priceMicros), currency: r.currency })) };
}
