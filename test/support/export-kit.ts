import { produceExport } from "../../lib/exports/produce.js";
import type { Role } from "../../lib/people/roles.js";
import { signedInBrowser, type Browser } from "./dashboard-kit.js";
import { setLimits } from "./senders.js";
import type { TestStack } from "./stack.js";

export type Tenant = Awaited<ReturnType<TestStack["tenant"]>>;

/**
 * What the export suites share, over the stack a suite made in its beforeAll (`get` is
 * read at each call): tenants with high limits, a seeded book of numbers 9198000000001 …,
 * calls with a key, and reads of the exports' rows as the database owner.
 */
export function exportKit(get: () => TestStack) {
  const high = { limit: 100_000, periodMs: 1000 };
  async function tenant(s = get()): Promise<Tenant> {
    const t = await s.tenant();
    await setLimits(s, t.workspaceId, { apiKey: high, ip: high, workspace: high });
    return t;
  }
  const number = (i: number) => `9198${String(i).padStart(8, "0")}`;
  /** n contacts, written as the owner: numbers 9198000000001 …, every one whole in the book. */
  const seedContacts = (workspaceId: string, n: number, from = 1) =>
    get().owner`insert into contacts (workspace_id, wa_id, name, tags)
      select ${workspaceId}, '9198' || lpad(i::text, 8, '0'), 'Name ' || i, case when i % 2 = 0 then array['even'] else array[]::text[] end
      from generate_series(${from}::int, ${from + n - 1}::int) i`;

  const call = async (key: string, path: string, init: RequestInit = {}, s = get()) => {
    const res = await s.request(path, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...(init.headers as Record<string, string>) } });
    const text = await res.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      // a file
    }
    return { status: res.status, text, json, headers: res.headers };
  };
  const ask = (key: string, body: unknown, s = get()) => call(key, "/v1/exports", { method: "POST", body: JSON.stringify(body) }, s);
  const download = (key: string, id: string, s = get()) => call(key, `/v1/exports/${id}/download`, {}, s);
  const produce = (t: Tenant, id: string) => produceExport(get().services, { workspaceId: t.workspaceId, exportId: id });
  const member = (t: Tenant, role: Role): Promise<Browser> => signedInBrowser(get(), { workspaceId: t.workspaceId, role });
  const chunks = async (id: string) => (await get().owner<{ n: number }[]>`select count(*)::int as n from export_chunks where export_id = ${id}`)[0]!.n;
  const statusOf = async (id: string) => (await get().owner<{ status: string }[]>`select status from exports where id = ${id}`)[0]?.status;
  const actions = async (id: string) => (await get().owner<{ action: string }[]>`select action from audit_log where object_id = ${id} order by seq`).map((r) => r.action);
  const lines = (csv: string) => csv.trimEnd().split("\r\n");
  return { tenant, number, seedContacts, call, ask, download, produce, member, chunks, statusOf, actions, lines };
}
