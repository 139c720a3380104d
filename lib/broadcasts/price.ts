import { sql, type SQL } from "drizzle-orm";

/**
 * The rate card's price for a category and a recipient: the entry whose country calling
 * code is the longest prefix of the number (1 for the US and 1242 for the Bahamas).
 * A lateral subquery: `recipient` and `category` are SQL expressions of the outer row.
 */
export const priceOf = (recipient: SQL, category: SQL) => sql`(
  select r.price_micros from rate_card_entries r
  where r.category = upper(${category}) and ${recipient} like r.country_code || '%'
  order by length(r.country_code) desc limit 1)`;

/** The card's currency (one per workspace in practice; the first entry's). */
export const cardCurrency = sql`(select currency from rate_card_entries order by category, country_code limit 1)`;

/** Micros as a decimal string: 1234500 → "1.2345". */
export const formatMicros = (m: number) => {
  const neg = m < 0 ? "-" : "";
  const a = Math.abs(Math.round(m));
  const frac = String(a % 1_000_000).padStart(6, "0").replace(/0+$/, "");
  return `${neg}${Math.floor(a / 1_000_000)}${frac ? `.${frac}` : ""}`;
};
