import { sql } from "drizzle-orm";
import type postgres from "postgres";
import type { Db, Tx } from "../../db/client.js";
import { withTenant, withUser } from "../../db/tenant.js";
import type { TestStack } from "./stack.js";

/**
 * Proves, for one table, what the RLS design promises: an application transaction
 * scoped to tenant A, with no WHERE clause at all, sees, updates and deletes only
 * A's rows, and cannot write a row that names tenant B. Returns what failed.
 */
interface Column {
  column_name: string;
  data_type: string;
  is_nullable: "YES" | "NO";
  column_default: string | null;
  is_identity: "YES" | "NO";
  is_generated: string;
}

const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join("");
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join("");

let seeded = 0;
/** Values that satisfy the schema's CHECK constraints; a new table with other checks adds its column here. */
const TEXT_VALUES: Record<string, () => string> = {
  key_hash: () => hex(64),
  phone_number_id: () => digits(12),
  waba_id: () => digits(12),
  wa_id: () => digits(12),
  direction: () => "outbound",
  status: () => "queued",
  actor_type: () => "system",
  token_status: () => "active",
  url: () => "https://hooks.example.com/sandesh",
  kind: () => "status",
  consent: () => "opt_out",
  category: () => "MARKETING",
  media_id: () => digits(16),
  source: () => "upload",
  // People (0019).
  email: () => `p-${hex(10)}@example.com`,
  role: () => "viewer",
  token_hash: () => hex(64),
  method: () => "passkey",
  // Passkeys (0020): base64url of at least 16 characters.
  user_handle: () => hex(32),
  // Second factor (0021).
  code_hash: () => hex(64),
  // Approved exports (0030).
  subject: () => "contacts",
  requester_type: () => "api_key",
  // Part of a key: a distinct calling code per seeded row.
  country_code: () => String(1000 + (seeded++ % 9000)),
};

/** Per table, where a column's CHECK differs from the same name's elsewhere. */
const TABLE_VALUES: Record<string, Record<string, unknown>> = {
  // Reads of personal data (0038): who read, and an HTTP status.
  data_access: { actor_type: "api_key", status: 200 },
};

function valueFor(c: Column): unknown {
  switch (c.data_type) {
    case "uuid":
      return crypto.randomUUID();
    case "text":
    case "character varying":
      return (TEXT_VALUES[c.column_name] ?? (() => `v-${hex(12)}`))();
    case "integer":
    case "bigint":
    case "smallint":
      return 1;
    case "boolean":
      return false;
    case "bytea":
      return Buffer.from(hex(c.column_name.endsWith("_iv") ? 24 : 32), "hex");
    case "jsonb":
    case "json":
      return {};
    case "timestamp with time zone":
    case "timestamp without time zone":
      return new Date();
    default:
      throw new Error(`no test value for ${c.column_name} of type ${c.data_type}: extend valueFor`);
  }
}

export async function tenantTables(owner: postgres.Sql): Promise<string[]> {
  const rows = await owner<{ table_name: string }[]>`
    select c.table_name from information_schema.columns c
    join information_schema.tables t using (table_schema, table_name)
    where c.table_schema = 'public' and c.column_name = 'workspace_id' and t.table_type = 'BASE TABLE'
    order by 1`;
  return rows.map((r) => r.table_name);
}

/**
 * What isolates a table's rows: a workspace (tenant tables: workspace_id, withTenant) or a
 * person (person tables: user_id, or users.id, withUser).
 */
export interface Scope {
  column: string;
  run: <T>(db: Db, id: string, fn: (tx: Tx) => Promise<T>) => Promise<T>;
}
export const tenantScope: Scope = { column: "workspace_id", run: withTenant };
export const personScope = (column: "user_id" | "id"): Scope => ({ column, run: withUser });

/** Person-scoped tables: a user_id and no workspace_id, and users itself (its own id). */
export async function personTables(owner: postgres.Sql): Promise<string[]> {
  const rows = await owner<{ table_name: string }[]>`
    select c.table_name from information_schema.columns c
    join information_schema.tables t using (table_schema, table_name)
    where c.table_schema = 'public' and c.column_name = 'user_id' and t.table_type = 'BASE TABLE'
      and not exists (select 1 from information_schema.columns w where w.table_schema = 'public' and w.table_name = c.table_name and w.column_name = 'workspace_id')
    order by 1`;
  return ["users", ...rows.map((r) => r.table_name)];
}

export async function seedPerson(owner: postgres.Sql): Promise<string> {
  const id = crypto.randomUUID();
  await owner`insert into users (id, email) values (${id}, ${`p-${hex(10)}@example.com`})`;
  return id;
}

async function seed(owner: postgres.Sql, table: string, workspaceId: string, column = "workspace_id"): Promise<void> {
  const cols = await owner<Column[]>`
    select column_name, data_type, is_nullable, column_default, is_identity, is_generated
    from information_schema.columns where table_schema = 'public' and table_name = ${table}`;
  const row: Record<string, unknown> = {};
  for (const c of cols) {
    if (c.is_identity === "YES" || c.is_generated === "ALWAYS") continue;
    if (c.column_name === column) row[c.column_name] = workspaceId;
    else if (c.is_nullable === "NO" && c.column_default === null) row[c.column_name] = TABLE_VALUES[table]?.[c.column_name] ?? valueFor(c);
    else if (c.column_name === "id" && c.data_type === "uuid") row[c.column_name] = crypto.randomUUID();
  }
  await owner.begin(async (tx) => {
    // Foreign keys point at rows this generic seed does not create; RLS is what is under test.
    await tx`set local session_replication_role = replica`;
    await tx`insert into ${tx(table)} ${tx(row as Record<string, postgres.SerializableParameter>)}`;
  });
}

export async function auditTenantIsolation(stack: TestStack, table: string, a: string, b: string, scope: Scope = tenantScope): Promise<string[]> {
  const col = sql.identifier(scope.column);
  const withTenant = scope.run;
  const { owner } = stack;
  // users holds one row per person (its own), and so does a table keyed by its owner (user_totp).
  const pk = await owner<{ attname: string }[]>`
    select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
    where i.indrelid = ${table}::regclass and i.indisprimary`;
  const onePerOwner = pk.length === 1 && pk[0]!.attname === scope.column;
  const perA = onePerOwner ? 1 : 2;
  const failures: string[] = [];
  const db = stack.services.db;
  const t = sql.identifier(table);
  const say = (what: string) => failures.push(`${table}: ${what}`);

  const [flags] = await owner<{ rls: boolean; force: boolean }[]>`
    select relrowsecurity as rls, relforcerowsecurity as force from pg_class where oid = ${table}::regclass`;
  if (!flags?.rls) say("row-level security is not ENABLEd");
  if (!flags?.force) say("row-level security is not FORCEd");

  if (scope.column === "id") {
    // The two people are the rows themselves (seedPerson); one more person to see nothing.
  } else {
    await seed(owner, table, a, scope.column);
    if (!onePerOwner) await seed(owner, table, a, scope.column);
    await seed(owner, table, b, scope.column);
  }
  const count = async (ws: string) =>
    Number((await owner<{ n: string }[]>`select count(*) as n from ${owner(table)} where ${owner(scope.column)} = ${ws}`)[0]!.n);

  const errorOf = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      return null;
    } catch (err) {
      return ((err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code ?? "error") as string;
    }
  };

  const seen = await withTenant(db, a, (tx) => tx.execute<{ scope: string }>(sql`select ${col} as scope from ${t}`));
  if (seen.length !== perA || seen.some((r) => r.scope !== a)) say(`select without WHERE saw ${seen.length} rows (${new Set(seen.map((r) => r.scope)).size} tenants), expected tenant A's ${perA}`);
  const none = await withTenant(db, b === a ? a : "00000000-0000-4000-8000-000000000000", (tx) => tx.execute(sql`select 1 from ${t}`));
  if (none.length) say(`a tenant with no rows saw ${none.length}`);

  const privileges = (await owner<{ upd: boolean; del: boolean; ins: boolean }[]>`
    select has_table_privilege('sandesh_app', ${table}, 'UPDATE') as upd,
           has_table_privilege('sandesh_app', ${table}, 'DELETE') as del,
           has_table_privilege('sandesh_app', ${table}, 'INSERT') as ins`)[0]!;

  if (privileges.upd) {
    const touched = await withTenant(db, a, (tx) => tx.execute(sql`update ${t} set ${col} = ${col} returning 1`));
    if (touched.length !== perA) say(`update without WHERE touched ${touched.length} rows, expected ${perA}`);
    const moved = await errorOf(() => withTenant(db, a, (tx) => tx.execute(sql`update ${t} set ${col} = ${b}`)));
    if (moved !== "42501") say(`moving a row to another tenant was not refused by policy (got ${moved})`);
  } else {
    const code = await errorOf(() => withTenant(db, a, (tx) => tx.execute(sql`update ${t} set ${col} = ${col}`)));
    if (code !== "42501") say(`update without privilege was not refused (got ${code})`);
  }

  if (privileges.ins) {
    // A real insert naming tenant B: one of A's rows as the owner sees it, with B's id.
    const [template] = await owner<{ row: Record<string, unknown> }[]>`select to_jsonb(x) as row from ${owner(table)} x limit 1`;
    const row: Record<string, unknown> = { ...template!.row, [scope.column]: b };
    if (typeof row.id === "string" && scope.column !== "id") row.id = crypto.randomUUID();
    const names = (
      await owner<{ column_name: string }[]>`
        select column_name from information_schema.columns where table_schema = 'public' and table_name = ${table}
        and is_identity = 'NO' and is_generated = 'NEVER'`
    ).map((c) => sql.identifier(c.column_name));
    const list = sql.join(names, sql`, `);
    const insert = sql`insert into ${t} (${list}) select ${list} from jsonb_populate_record(null::${t}, ${JSON.stringify(row)}::jsonb)`;
    const refused = await errorOf(() => withTenant(db, a, (tx) => tx.execute(insert)));
    if (refused !== "42501") say(`insert naming another tenant was not refused by policy (got ${refused})`);
  }

  if (privileges.del) {
    const deleted = await withTenant(db, a, (tx) => tx.execute(sql`delete from ${t} returning 1`));
    if (deleted.length !== perA) say(`delete without WHERE removed ${deleted.length} rows, expected ${perA}`);
    if ((await count(b)) !== 1) say("delete without WHERE removed another tenant's row");
  } else {
    const code = await errorOf(() => withTenant(db, a, (tx) => tx.execute(sql`delete from ${t}`)));
    if (code !== "42501") say(`delete without privilege was not refused (got ${code})`);
    if ((await count(b)) !== 1 || (await count(a)) !== perA) say("rows changed although delete is not granted");
  }
  return failures;
}

export async function seedWorkspace(owner: postgres.Sql, name: string): Promise<string> {
  const id = crypto.randomUUID();
  await owner`insert into workspaces (id, name) values (${id}, ${name})`;
  return id;
}
