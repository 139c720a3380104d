import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asApp, withTenant } from "../db/tenant.js";
import { createDatabase } from "../db/client.js";
import { createTestStack, type TestStack } from "./support/stack.js";
import { auditTenantIsolation, personScope, personTables, seedPerson, seedWorkspace, tenantTables } from "./support/tenant-isolation.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

describe("row-level security, proven from the catalog", () => {
  it("every table with a workspace_id column isolates tenants without a WHERE clause", async () => {
    const tables = await tenantTables(stack.owner);
    // The foundation's tenant tables must all be found; later tables join automatically.
    expect(tables).toEqual(expect.arrayContaining(["api_keys", "audit_log", "contacts", "message_events", "messages", "whatsapp_numbers"]));
    // Contacts and templates (0014): each one is audited by name, so none can be missed.
    expect(tables).toEqual(expect.arrayContaining(["contact_consent_events", "contact_import_errors", "contact_imports", "message_templates", "template_catalogues"]));
    // Broadcasts and the rate card (0016).
    expect(tables).toEqual(expect.arrayContaining(["broadcasts", "rate_card_entries"]));
    // An import's kept body (0025).
    expect(tables).toEqual(expect.arrayContaining(["contact_import_chunks"]));
    // Approved exports and their sealed chunks (0030).
    expect(tables).toEqual(expect.arrayContaining(["exports", "export_chunks"]));
    // People (0019): a person's memberships and a workspace's invitations are tenant rows.
    expect(tables).toEqual(expect.arrayContaining(["invitations", "memberships"]));
    // The audit chain's heads (0023).
    expect(tables).toEqual(expect.arrayContaining(["audit_chain_heads"]));
    // Support access grants (0029).
    expect(tables).toEqual(expect.arrayContaining(["support_grants"]));
    // Records of reads of personal data (0038).
    expect(tables).toEqual(expect.arrayContaining(["data_access"]));
    const a = await seedWorkspace(stack.owner, "A");
    const b = await seedWorkspace(stack.owner, "B");
    const failures: string[] = [];
    // audit_chain_heads holds one row per workspace (its primary key), which the generic
    // two-rows-per-tenant seed cannot make; test/audit-chain.test.ts proves its isolation.
    for (const table of tables.filter((t) => t !== "audit_chain_heads")) failures.push(...(await auditTenantIsolation(stack, table, a, b)));
    expect(failures).toEqual([]);
  });

  it("every person-scoped table (users, and each table with a user_id but no workspace_id) isolates people without a WHERE clause", async () => {
    const tables = await personTables(stack.owner);
    // Later person tables (passkeys, second factors, identities) join automatically.
    expect(tables).toEqual(expect.arrayContaining(["users", "sessions"]));
    // Passkeys (0020): audited by name, so the table cannot drop out of the audit unnoticed.
    expect(tables).toEqual(expect.arrayContaining(["passkeys"]));
    // Google identities (0022), by name too.
    expect(tables).toEqual(expect.arrayContaining(["user_identities"]));
    // Second factor (0021).
    expect(tables).toEqual(expect.arrayContaining(["user_totp", "recovery_codes"]));
    const failures: string[] = [];
    for (const table of tables) {
      const a = await seedPerson(stack.owner);
      const b = await seedPerson(stack.owner);
      failures.push(...(await auditTenantIsolation(stack, table, a, b, personScope(table === "users" ? "id" : "user_id"))));
    }
    expect(failures).toEqual([]);
  });

  it("a person table that forgets RLS fails the person audit", async () => {
    await stack.owner`create table zz_forgot_person_rls (id uuid primary key, user_id uuid not null, note text not null)`;
    await stack.owner`grant select, insert, update, delete on zz_forgot_person_rls to sandesh_app`;
    try {
      const a = await seedPerson(stack.owner);
      const b = await seedPerson(stack.owner);
      const failures = await auditTenantIsolation(stack, "zz_forgot_person_rls", a, b, personScope("user_id"));
      expect(failures).toEqual(expect.arrayContaining(["zz_forgot_person_rls: row-level security is not FORCEd", expect.stringMatching(/select without WHERE saw 3 rows/)]));
    } finally {
      await stack.owner`drop table zz_forgot_person_rls`;
    }
  });

  it("a workspace's members see each other's user rows; nobody else's, and none without a workspace or person set", async () => {
    const ws = await seedWorkspace(stack.owner, "Members");
    const [a, b, stranger] = [await seedPerson(stack.owner), await seedPerson(stack.owner), await seedPerson(stack.owner)];
    await stack.owner`insert into memberships (workspace_id, user_id, role) values (${ws}, ${a}, 'owner'), (${ws}, ${b}, 'viewer')`;
    const inWs = await withTenant(stack.services.db, ws, (tx) => tx.execute<{ id: string }>(sql`select id from users order by id`));
    expect(inWs.map((r) => r.id).sort()).toEqual([a, b].sort());
    expect(inWs.map((r) => r.id)).not.toContain(stranger);
    // Visible is not writable: within the workspace, a member's row cannot be changed.
    const changed = await withTenant(stack.services.db, ws, (tx) => tx.execute(sql`update users set display_name = 'x' returning 1`));
    expect(changed).toHaveLength(0);
    expect(await asApp(stack.services.db, (tx) => tx.execute(sql`select 1 from users`))).toHaveLength(0);
  });

  it("a table that forgets RLS fails the same audit", async () => {
    await stack.owner`create table zz_forgot_rls (id uuid primary key, workspace_id uuid not null, note text not null)`;
    await stack.owner`grant select, insert, update, delete on zz_forgot_rls to sandesh_app`;
    try {
      const a = await seedWorkspace(stack.owner, "A2");
      const b = await seedWorkspace(stack.owner, "B2");
      const failures = await auditTenantIsolation(stack, "zz_forgot_rls", a, b);
      expect(failures).toEqual(
        expect.arrayContaining([
          "zz_forgot_rls: row-level security is not ENABLEd",
          "zz_forgot_rls: row-level security is not FORCEd",
          expect.stringMatching(/select without WHERE saw 3 rows/),
          expect.stringMatching(/delete without WHERE removed another tenant's row/),
        ]),
      );
    } finally {
      await stack.owner`drop table zz_forgot_rls`;
    }
  });

  it("workspaces: a tenant sees only itself and cannot create a workspace under another id", async () => {
    const a = await seedWorkspace(stack.owner, "WA");
    await seedWorkspace(stack.owner, "WB");
    const rows = await withTenant(stack.services.db, a, (tx) => tx.execute<{ id: string }>(sql`select id from workspaces`));
    expect(rows.map((r) => r.id)).toEqual([a]);
    await expect(
      withTenant(stack.services.db, a, (tx) => tx.execute(sql`insert into workspaces (id, name) values (gen_random_uuid(), 'x')`)),
    ).rejects.toMatchObject({ cause: { code: "42501" } });
  });

  it("the application role owns no table, has no BYPASSRLS and cannot change the audit log", async () => {
    const [role] = await stack.owner`select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = 'sandesh_app'`;
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false });
    const owned = await stack.owner`select tablename from pg_tables where schemaname = 'public' and tableowner = 'sandesh_app'`;
    expect(owned).toHaveLength(0);
    const [priv] = await stack.owner`select has_table_privilege('sandesh_app', 'audit_log', 'UPDATE') as u, has_table_privilege('sandesh_app', 'audit_log', 'DELETE') as d, has_table_privilege('sandesh_app', 'audit_log', 'TRUNCATE') as t`;
    expect(priv).toEqual({ u: false, d: false, t: false });
  });

  it("the tenant setting and the role are transaction-local: the same pooled connection forgets both", async () => {
    const a = await seedWorkspace(stack.owner, "TL");
    // One connection, so "after" really is the connection the transaction used.
    const one = createDatabase(stack.config.migrationDatabaseUrl, { max: 1 });
    try {
      const inside = await withTenant(one.db, a, (tx) =>
        tx.execute<{ pid: number; ws: string; role: string }>(sql`select pg_backend_pid() as pid, current_setting('app.workspace_id') as ws, current_user as role`),
      );
      expect(inside[0]).toMatchObject({ ws: a, role: "sandesh_app" });
      const after = await one.db.execute<{ pid: number; ws: string | null; role: string }>(
        sql`select pg_backend_pid() as pid, nullif(current_setting('app.workspace_id', true), '') as ws, current_user as role`,
      );
      expect(after[0]!.pid).toBe(inside[0]!.pid);
      expect(after[0]!.ws).toBeNull();
      expect(after[0]!.role).toBe("postgres"); // back to the login role
    } finally {
      await one.close();
    }
  });

  it("with no tenant or person set, the application role sees no row of any tenant or person table", async () => {
    const a = await seedWorkspace(stack.owner, "NT");
    await stack.owner`insert into contacts (workspace_id, wa_id) values (${a}, '919812300000')`;
    await seedPerson(stack.owner);
    for (const table of [...(await tenantTables(stack.owner)), ...(await personTables(stack.owner))]) {
      const rows = await asApp(stack.services.db, (tx) => tx.execute(sql`select 1 from ${sql.identifier(table)} limit 1`));
      expect(rows, table).toHaveLength(0);
    }
  });

  it("the application role cannot become any other role", async () => {
    const groups = await stack.owner`select g.rolname from pg_auth_members m join pg_roles r on r.oid = m.member join pg_roles g on g.oid = m.roleid where r.rolname = 'sandesh_app'`;
    expect(groups).toHaveLength(0);
  });

  it("pre-tenant look-ups are narrow SECURITY DEFINER functions the app may only execute", async () => {
    const fns = await stack.owner<{ proname: string; prosecdef: boolean }[]>`
      select proname, prosecdef from pg_proc where proname like 'sandesh\\_%' and prosecdef order by proname`;
    expect(fns).toEqual([
      { proname: "sandesh_api_key_lookup", prosecdef: true },
      { proname: "sandesh_due_broadcasts", prosecdef: true },
      { proname: "sandesh_due_exports", prosecdef: true },
      { proname: "sandesh_erase_number", prosecdef: true },
      { proname: "sandesh_expire_status_backlog", prosecdef: true },
      { proname: "sandesh_identity_lookup", prosecdef: true },
      { proname: "sandesh_invitation_lookup", prosecdef: true },
      { proname: "sandesh_lapsed_messages", prosecdef: true },
      { proname: "sandesh_number_lookup", prosecdef: true },
      { proname: "sandesh_passkey_lookup", prosecdef: true },
      { proname: "sandesh_purge_data_access", prosecdef: true },
      { proname: "sandesh_purge_lapsed_access", prosecdef: true },
      { proname: "sandesh_record_unrouted", prosecdef: true },
      { proname: "sandesh_retention_workspaces", prosecdef: true },
      { proname: "sandesh_session_lookup", prosecdef: true },
      { proname: "sandesh_stalled_imports", prosecdef: true },
      { proname: "sandesh_stranded_statuses", prosecdef: true },
      { proname: "sandesh_stuck_messages", prosecdef: true },
      { proname: "sandesh_support_grant_lookup", prosecdef: true },
      { proname: "sandesh_undispatched_webhooks", prosecdef: true },
      { proname: "sandesh_unsettled_tags", prosecdef: true },
      { proname: "sandesh_user_by_email", prosecdef: true },
      { proname: "sandesh_user_workspaces", prosecdef: true },
      { proname: "sandesh_waba_workspaces", prosecdef: true },
      { proname: "sandesh_workspace_allowlist", prosecdef: true },
    ]);
    const [pub] = await stack.owner`select has_function_privilege('public', 'sandesh_api_key_lookup(text)', 'EXECUTE') as x`;
    expect(pub!.x).toBe(false);
  });
});
