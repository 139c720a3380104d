import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { AppError } from "../errors.js";
import { parameterMismatches } from "./params.js";

/**
 * The catalogue's word on one template send, shared by every sender of templates (a
 * single message's pre-flight, a broadcast's start): refused when a synced catalogue does
 * not hold it as APPROVED or the parameters do not fit; otherwise the category that
 * decides the opt-out rule (the catalogue's, else the declared one, else MARKETING).
 */
export type CatalogueEntry = {
  /** The sender's WABA was synced at least once: its catalogue is then authoritative. */
  synced: boolean;
  status: string | null;
  category: string | null;
  components: unknown;
};

export interface TemplateRef {
  name: string;
  language: { code: string };
  components?: unknown;
}

/** SQL for the entry of `tpl` in the catalogue of the WABA of number `numberId` (one row, always). */
export const catalogueEntrySql = (numberId: string, tpl: TemplateRef) => sql`
  with n as (select waba_id from whatsapp_numbers where id = ${numberId})
  select exists (select 1 from template_catalogues c join n on c.waba_id = n.waba_id) as synced, t.status, t.category, t.components
  from (select 1) as one
  left join (select m.status, m.category, m.components from message_templates m join n on m.waba_id = n.waba_id
             where m.name = ${tpl.name} and m.language = ${tpl.language.code}) t on true`;

export async function readCatalogueEntry(tx: Tx, numberId: string, tpl: TemplateRef): Promise<CatalogueEntry> {
  const [row] = await tx.execute<CatalogueEntry>(catalogueEntrySql(numberId, tpl));
  return row ?? { synced: false, status: null, category: null, components: null };
}

export function templateVerdict(entry: CatalogueEntry, tpl: TemplateRef, declared: string | null): { category: string } {
  const what = `Template ${tpl.name} (${tpl.language.code})`;
  const known = entry.status != null;
  if (!known && entry.synced) {
    throw new AppError(422, "template_not_approved", `${what} is not in this WABA's catalogue; create it, or sync the catalogue (POST /v1/templates/sync) if it was made elsewhere`);
  }
  if (known && entry.status !== "APPROVED") throw new AppError(422, "template_not_approved", `${what} is ${entry.status}: only APPROVED templates are sent`, { status: entry.status });
  if (known) {
    const mismatches = parameterMismatches(entry.components, tpl.components);
    if (mismatches.length) {
      throw new AppError(422, "template_parameters_mismatch", `${what} needs other parameters: ${mismatches.map((m) => `${m.component} takes ${m.expected}, got ${m.given}`).join("; ")}`, mismatches);
    }
  }
  return { category: (known ? entry.category : null) ?? declared ?? "MARKETING" };
}
