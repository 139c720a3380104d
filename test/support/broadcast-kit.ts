import type postgres from "postgres";
import type { MetaSandbox } from "../../dev/meta-sandbox/index.js";
import { connectTestNumber, setLimits } from "./senders.js";
import type { TestStack } from "./stack.js";

let n = 0;
/** A tenant with a number at `throughput` (Sandesh and the sandbox agree), and a JSON helper on its key. */
export async function broadcastTenant(stack: TestStack, sandbox: MetaSandbox | null, opts: { throughput?: number; tier?: string } = {}) {
  const t = await stack.tenant("Broadcaster");
  await setLimits(stack, t.workspaceId, { apiKey: { limit: 1000, periodMs: 1000 }, ip: { limit: 1000, periodMs: 1000 }, workspace: { limit: 1000, periodMs: 1000 } });
  const token = `EAABroadcastToken${Date.now()}${n++}abcdefghijkl`;
  const number = await connectTestNumber(stack, t.workspaceId, { token, throughput: opts.throughput ?? 1000, tier: opts.tier ?? "TIER_UNLIMITED" });
  sandbox?.registerNumber(number.phone_number_id, token, { throughputMps: 1000 });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await stack.request(path, { method, headers: { authorization: `Bearer ${t.key}`, ...headers }, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });
    const text = await res.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json, text, headers: res.headers };
  };
  return { ...t, number, call };
}

/**
 * Contacts written straight into the table (as the owner), fast: `count` of them, tagged,
 * opted in unless `optIn` says otherwise. Their last four digits are 3000-9999, clear of
 * the Meta sandbox's failure recipes (all below 2100). Answers their wa_ids.
 */
export async function seedContacts(owner: postgres.Sql, workspaceId: string, count: number, opts: { tag?: string; optIn?: boolean; optedOut?: boolean; name?: string | null } = {}): Promise<string[]> {
  const base = (91_000_000 + Math.floor(Math.random() * 800_000)) * 10_000;
  const wa = (i: number) => String(base + 3000 + (i % 7000) + Math.floor(i / 7000) * 10_000);
  const ids = Array.from({ length: count }, (_, i) => wa(i));
  await owner`
    insert into contacts (id, workspace_id, wa_id, name, tags, marketing_opt_in_at, opted_out_at, attributes)
    select gen_random_uuid(), ${workspaceId}, w, ${opts.name === undefined ? "Asha" : opts.name},
      array[${opts.tag ?? "all"}]::text[], ${opts.optIn === false ? null : new Date()}, ${opts.optedOut ? new Date() : null}, '{"city": "Pune"}'::jsonb
    from unnest(${ids}::text[]) w`;
  return ids;
}

export const TEMPLATE = {
  name: "festive_offer",
  language: { code: "en_US" },
  components: [{ type: "body", parameters: [{ type: "text", text: "{{contact.name}}" }, { type: "text", text: "{{contact.attributes.city}}" }] }],
};

/** How many sends of these recipients the sandbox accepted, per recipient. */
export function sendsPer(sandbox: { sent: { waId: string; phoneNumberId: string }[] }, phoneNumberId: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of sandbox.sent) if (s.phoneNumberId === phoneNumberId) m.set(s.waId, (m.get(s.waId) ?? 0) + 1);
  return m;
}

/**
 * Send jobs queued for a broadcast's messages, counted per message they carry: a single
 * job (`send`) is one, a batch job (`send-batch`) one per message id in it.
 */
export async function sendJobsFor(owner: postgres.Sql, broadcastId: string): Promise<{ single: number; batched: number; batches: number }> {
  const [r] = await owner<{ single: number; batched: number; batches: number }[]>`
    with ids as (select id::text as id from messages where broadcast_id = ${broadcastId})
    select (select count(*)::int from sandesh_queue.job where name = 'send' and data->>'messageId' in (select id from ids)) as single,
      (select count(*)::int from sandesh_queue.job j, jsonb_array_elements_text(j.data->'messageIds') m(id) where j.name = 'send-batch' and m.id in (select id from ids)) as batched,
      (select count(distinct j.id)::int from sandesh_queue.job j, jsonb_array_elements_text(j.data->'messageIds') m(id) where j.name = 'send-batch' and m.id in (select id from ids)) as batches`;
  return r!;
}
