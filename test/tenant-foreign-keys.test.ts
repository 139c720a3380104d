import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { getTableName, is } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../db/migrate.js";
import * as schema from "../db/schema/index.js";
import { connectTestNumber } from "./support/senders.js";
import { pgUrl } from "./support/servers.js";
import { createTestStack, type TestStack } from "./support/stack.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

interface TenantKey {
  child: string;
  name: string;
  columns: string[];
  parent: string;
  parent_columns: string[];
  definition: string;
}

/** Every foreign key from a table with workspace_id to another table with workspace_id, from the catalog. */
async function tenantForeignKeys(sql: postgres.Sql): Promise<TenantKey[]> {
  return sql<TenantKey[]>`
    select c.conrelid::regclass::text as child, c.conname as name, c.confrelid::regclass::text as parent,
      array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i) as columns,
      array(select a.attname::text from unnest(c.confkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i) as parent_columns,
      pg_get_constraintdef(c.oid) as definition
    from pg_constraint c join pg_namespace ns on ns.oid = c.connamespace
    where c.contype = 'f' and ns.nspname not in ('pg_catalog', 'information_schema')
      and exists (select 1 from pg_attribute a where a.attrelid = c.conrelid and a.attname = 'workspace_id' and not a.attisdropped)
      and exists (select 1 from pg_attribute a where a.attrelid = c.confrelid and a.attname = 'workspace_id' and not a.attisdropped)
    order by 1, 2`;
}

/** The keys that could link two tenants: workspace_id missing on a side, or paired with another column. */
async function tenantBlindKeys(sql: postgres.Sql): Promise<string[]> {
  return (await tenantForeignKeys(sql))
    .filter((k) => k.columns.indexOf("workspace_id") < 0 || k.columns.indexOf("workspace_id") !== k.parent_columns.indexOf("workspace_id"))
    .map((k) => `${k.child}.${k.name}: ${k.definition}`);
}

const MESSAGE = { direction: "outbound", recipient: "919876543210", type: "text", payload: { type: "text" }, status: "queued" };

/** A workspace with a connected number and one message, all written the ordinary way or as the owner. */
async function tenantWithMessage(name: string) {
  const t = await stack.tenant(name);
  const number = await connectTestNumber(stack, t.workspaceId);
  const messageId = crypto.randomUUID();
  await stack.owner`insert into messages ${stack.owner({ ...MESSAGE, id: messageId, workspace_id: t.workspaceId, whatsapp_number_id: number.id, payload: stack.owner.json(MESSAGE.payload) })}`;
  return { workspaceId: t.workspaceId, numberId: number.id, messageId };
}

const refusal = (constraint: string) => ({ code: "23503", constraint_name: constraint });

describe("foreign keys carry workspace_id: a row can point only at its own tenant's rows", () => {
  it("a message in workspace B naming workspace A's number is refused by the database, even from the table owner", async () => {
    const a = await tenantWithMessage("FK-A");
    const b = await tenantWithMessage("FK-B");
    const row = (numberId: string) => ({ ...MESSAGE, id: crypto.randomUUID(), workspace_id: b.workspaceId, whatsapp_number_id: numberId, payload: stack.owner.json(MESSAGE.payload) });

    // The owner is a superuser here: RLS does not apply to it, only the key can refuse.
    await expect(stack.owner`insert into messages ${stack.owner(row(a.numberId))}`).rejects.toMatchObject(refusal("messages_whatsapp_number_id_fkey"));
    // Moving B's existing message onto A's number is the same link, refused the same way.
    await expect(stack.owner`update messages set whatsapp_number_id = ${a.numberId} where id = ${b.messageId}`).rejects.toMatchObject(
      refusal("messages_whatsapp_number_id_fkey"),
    );
    // The control: the same insert naming B's own number is accepted.
    await stack.owner`insert into messages ${stack.owner(row(b.numberId))}`;
    const [n] = await stack.owner<{ n: number }[]>`select count(*)::int as n from messages where workspace_id = ${b.workspaceId} and whatsapp_number_id = ${a.numberId}`;
    expect(n!.n).toBe(0);
  });

  it("a message event in workspace B naming workspace A's message is refused by the database, even from the table owner", async () => {
    const a = await tenantWithMessage("FKE-A");
    const b = await tenantWithMessage("FKE-B");
    const event = (messageId: string) => ({ workspace_id: b.workspaceId, message_id: messageId, status: "queued", occurred_at: new Date(), dedupe_key: `fk:${crypto.randomUUID()}` });

    await expect(stack.owner`insert into message_events ${stack.owner(event(a.messageId))}`).rejects.toMatchObject(refusal("message_events_message_id_fkey"));
    await stack.owner`insert into message_events ${stack.owner(event(b.messageId))}`;
    const events = await stack.owner`select message_id from message_events where workspace_id = ${b.workspaceId}`;
    expect(events.map((e) => e.message_id)).toEqual([b.messageId]);
  });

  it("every foreign key between two tables that both have workspace_id pairs workspace_id with workspace_id", async () => {
    const keys = await tenantForeignKeys(stack.owner);
    // The keys 0005 made tenant-aware, with their ON DELETE unchanged; later tables join the check below.
    expect(keys.map((k) => `${k.child}: ${k.definition}`)).toEqual(
      expect.arrayContaining([
        "messages: FOREIGN KEY (workspace_id, whatsapp_number_id) REFERENCES whatsapp_numbers(workspace_id, id)",
        "messages: FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts(workspace_id, id)",
        "message_events: FOREIGN KEY (workspace_id, message_id) REFERENCES messages(workspace_id, id) ON DELETE CASCADE",
        "customer_windows: FOREIGN KEY (workspace_id, whatsapp_number_id) REFERENCES whatsapp_numbers(workspace_id, id) ON DELETE CASCADE",
        "webhook_endpoint_secrets: FOREIGN KEY (workspace_id, endpoint_id) REFERENCES webhook_endpoints(workspace_id, id) ON DELETE CASCADE",
        "webhook_deliveries: FOREIGN KEY (workspace_id, endpoint_id) REFERENCES webhook_endpoints(workspace_id, id) ON DELETE CASCADE",
        "webhook_attempts: FOREIGN KEY (workspace_id, endpoint_id) REFERENCES webhook_endpoints(workspace_id, id) ON DELETE CASCADE",
        "webhook_attempts: FOREIGN KEY (workspace_id, delivery_id) REFERENCES webhook_deliveries(workspace_id, id) ON DELETE CASCADE",
      ]),
    );
    expect(await tenantBlindKeys(stack.owner)).toEqual([]);
  });

  it("a table whose foreign key forgets workspace_id fails the same check", async () => {
    await stack.owner`create table zz_blind_key (id uuid primary key, workspace_id uuid not null, message_id uuid not null references messages (id))`;
    // workspace_id on both sides, but paired with the wrong parent column.
    await stack.owner`create table zz_crossed_key (id uuid primary key, workspace_id uuid not null, message_id uuid not null,
      foreign key (message_id, workspace_id) references messages (workspace_id, id))`;
    try {
      expect(await tenantBlindKeys(stack.owner)).toEqual([
        expect.stringMatching(/^zz_blind_key\.zz_blind_key_message_id_fkey: FOREIGN KEY \(message_id\) REFERENCES messages\(id\)$/),
        expect.stringMatching(/^zz_crossed_key\./),
      ]);
    } finally {
      await stack.owner`drop table zz_blind_key, zz_crossed_key`;
    }
  });

  it("ON DELETE is unchanged: deleting a message removes its events, a number with messages cannot be deleted", async () => {
    const a = await tenantWithMessage("FKD");
    await stack.owner`insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key) values (${a.workspaceId}, ${a.messageId}, 'queued', now(), 'fkd')`;
    await expect(stack.owner`delete from whatsapp_numbers where id = ${a.numberId}`).rejects.toMatchObject(refusal("messages_whatsapp_number_id_fkey"));
    await stack.owner`delete from messages where id = ${a.messageId}`;
    expect(await stack.owner`select 1 from message_events where message_id = ${a.messageId}`).toHaveLength(0);
    // With no message left, the number goes and takes its customer windows along.
    await stack.owner`insert into customer_windows (workspace_id, whatsapp_number_id, wa_id, last_inbound_at) values (${a.workspaceId}, ${a.numberId}, '919876543210', now())`;
    await stack.owner`delete from whatsapp_numbers where id = ${a.numberId}`;
    expect(await stack.owner`select 1 from customer_windows where whatsapp_number_id = ${a.numberId}`).toHaveLength(0);
  });

  it("the drizzle schema declares the same foreign keys as the database", async () => {
    const tables = Object.values(schema).filter((t) => is(t, PgTable)) as PgTable[];
    const declared = tables.flatMap((t) =>
      getTableConfig(t).foreignKeys.map((fk) => {
        const r = fk.reference();
        return `${getTableName(t)}(${r.columns.map((c) => c.name)}) -> ${getTableName(r.foreignTable)}(${r.foreignColumns.map((c) => c.name)})`;
      }),
    );
    const names = new Set(tables.map(getTableName));
    const actual = await stack.owner<{ fk: string }[]>`
      select c.conrelid::regclass::text || '(' ||
        array_to_string(array(select a.attname from unnest(c.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i), ',')
        || ') -> ' || c.confrelid::regclass::text || '(' ||
        array_to_string(array(select a.attname from unnest(c.confkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i), ',')
        || ')' as fk
      from pg_constraint c where c.contype = 'f' and c.connamespace = 'public'::regnamespace`;
    expect(declared.sort()).toEqual(actual.map((r) => r.fk).filter((fk) => names.has(fk.slice(0, fk.indexOf("(")))).sort());
  });
});

describe("migration 0005 upgrades a database already migrated", () => {
  it("keeps the rows of a database at 0004 and refuses to upgrade one that holds a cross-tenant link", async () => {
    const dir = fileURLToPath(new URL("../db/migrations/", import.meta.url));
    const before = (await readdir(dir)).filter((f) => f.endsWith(".sql") && f < "0005").sort();
    expect(before).toEqual(["0001_foundation.sql", "0002_send_sweep.sql", "0003_meta_ingest.sql", "0004_outgoing_webhooks.sql"]);

    // Named after this suite's database: the run's teardown removes it if this test dies.
    const database = `${stack.database}_up`;
    const admin = postgres(pgUrl("postgres"), { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${database}"`);
    const db = postgres(pgUrl(database), { max: 1, onnotice: () => {} });
    try {
      // What migrate() had done before 0005 existed.
      await db.begin(async (tx) => {
        await tx`create table sandesh_migrations (name text primary key, applied_at timestamptz not null default now())`;
        for (const f of before) {
          await tx.unsafe(await readFile(dir + f, "utf8"));
          await tx`insert into sandesh_migrations (name) values (${f})`;
        }
      });
      const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
      const numbers = { a: crypto.randomUUID(), b: crypto.randomUUID() };
      const good = crypto.randomUUID();
      await db`insert into workspaces (id, name) values (${a}, 'A'), (${b}, 'B')`;
      for (const [ws, id, pnid] of [[a, numbers.a, "5550001"], [b, numbers.b, "5550002"]] as const)
        await db`insert into whatsapp_numbers (id, workspace_id, phone_number_id, waba_id, token_ciphertext, token_iv, token_tag, token_key_version)
                 values (${id}, ${ws}, ${pnid}, '100200300', ${Buffer.alloc(8)}, ${Buffer.alloc(12)}, ${Buffer.alloc(16)}, 1)`;
      const message = (id: string, ws: string, numberId: string) => ({ ...MESSAGE, id, workspace_id: ws, whatsapp_number_id: numberId, payload: db.json(MESSAGE.payload) });
      await db`insert into messages ${db(message(good, a, numbers.a))}`;
      await db`insert into message_events (workspace_id, message_id, status, occurred_at, dedupe_key) values (${a}, ${good}, 'queued', now(), 'up')`;

      // The link 0005 exists to catch: B's message on A's number.
      const bad = crypto.randomUUID();
      await db`insert into messages ${db(message(bad, b, numbers.a))}`;
      await expect(migrate(pgUrl(database))).rejects.toMatchObject(refusal("messages_whatsapp_number_id_fkey"));
      expect((await db`select name from sandesh_migrations order by name`).map((r) => r.name)).toEqual(before);

      await db`delete from messages where id = ${bad}`;
      // 0005 and whatever came after it, in order; nothing before it again.
      const upgraded = await migrate(pgUrl(database));
      expect(upgraded.skipped).toBe(before.length);
      expect(upgraded.applied[0]).toBe("0005_tenant_foreign_keys.sql");
      expect(upgraded.applied).toEqual([...upgraded.applied].sort());
      expect(await tenantBlindKeys(db)).toEqual([]);
      expect(await db`select id from messages`).toEqual([{ id: good }]);
      expect(await db`select message_id from message_events`).toEqual([{ message_id: good }]);
    } finally {
      await db.end({ timeout: 2 });
      await admin.unsafe(`drop database if exists "${database}" with (force)`);
      await admin.end();
    }
  });
});
