import type postgres from "postgres";
import type { NodeServices } from "../../dev/services.js";
import { connectNumber } from "../../lib/whatsapp/numbers.js";

/**
 * `count` numbers at `throughput`/s each on the unlimited messaging tier, with every one of
 * `recipients` inside its customer-service window on each: the benchmark measures the
 * path, not the sender's quota (64 numbers at Meta's highest throughput, 1,000/s, allow
 * 64,000 sends/s, far past what one process accepts). Every text still passes the window
 * check, which it performs.
 */
export async function benchSenders(setup: NodeServices, owner: postgres.Sql, workspaceId: string, opts: { count: number; throughput: number; recipients: string[] }): Promise<{ id: string; phone: string }[]> {
  const numbers: { id: string; phone: string }[] = [];
  for (let i = 0; i < opts.count; i++) {
    const n = await connectNumber(setup, { workspaceId, phoneNumberId: `1000000${String(i).padStart(2, "0")}`, wabaId: "1", token: `EAABenchToken${i}abcdefghijklmnop`, throughputMps: opts.throughput }, { actorType: "operator" });
    numbers.push({ id: n.id, phone: n.phone_number_id });
  }
  await owner`update whatsapp_numbers set messaging_tier = 'TIER_UNLIMITED'`;
  await owner`insert into customer_windows (workspace_id, whatsapp_number_id, wa_id, last_inbound_at)
    select ${workspaceId}, n.id, r, now() from whatsapp_numbers n, unnest(${opts.recipients}::text[]) r`;
  return numbers;
}
