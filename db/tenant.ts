import { sql } from "drizzle-orm";
import { AppError } from "../lib/errors.js";
import type { TransactionSql } from "postgres";
import type { Db, Tx } from "./client.js";

export const APP_ROLE = "sandesh_app";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Every piece of tenant work runs here: one transaction, running as the application
 * role (even when the connection logged in as something stronger), with the tenant
 * named in a transaction-local setting that the RLS policies read. Transaction-local
 * means a pooled connection never carries one tenant's setting into the next.
 */
/** The tenant's scope, transaction-local: the application role and the workspace the RLS policies read. */
export const tenantScope = (workspaceId: string) => sql`select set_config('role', ${APP_ROLE}, true), set_config('app.workspace_id', ${workspaceId}, true)`;

export function withTenant<T>(db: Db, workspaceId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!UUID.test(workspaceId)) throw new AppError(500, "internal_error", "withTenant needs a workspace id");
  return db.transaction(async (tx) => {
    await tx.execute(tenantScope(workspaceId));
    return fn(tx);
  });
}

/**
 * Work on one person's own rows (users, sessions, passkeys, factors, identities): the
 * person-scoped tables' RLS reads the transaction-local `app.user_id`, as tenant tables
 * read `app.workspace_id`. switchTenant inside it adds one workspace's rows (a membership,
 * an audit entry) to the same transaction.
 */
export function withUser<T>(db: Db, userId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!UUID.test(userId)) throw new AppError(500, "internal_error", "withUser needs a user id");
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('role', ${APP_ROLE}, true), set_config('app.user_id', ${userId}, true)`);
    return fn(tx);
  });
}

/** Inside a transaction: scope what follows to one person as well (see withUser). */
export async function switchUser(tx: Tx, userId: string): Promise<void> {
  if (!UUID.test(userId)) throw new AppError(500, "internal_error", "switchUser needs a user id");
  await tx.execute(sql`select set_config('app.user_id', ${userId}, true)`);
}

/** Work before the tenant is known: only the SECURITY DEFINER look-ups answer here. */
export function asApp<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('role', ${APP_ROLE}, true)`);
    return fn(tx);
  });
}

/**
 * Inside an asApp transaction: scope what follows to one tenant. Transaction-local like
 * withTenant, so one transaction can serve a webhook that touches several tenants.
 */
export async function switchTenant(tx: Tx, workspaceId: string): Promise<void> {
  if (!UUID.test(workspaceId)) throw new AppError(500, "internal_error", "switchTenant needs a workspace id");
  await tx.execute(sql`select set_config('app.workspace_id', ${workspaceId}, true)`);
}

/**
 * withTenant on postgres.js itself: for work that hands the transaction to a library
 * speaking SQL text (pg-boss's job insert) or writes pages of rows in raw statements.
 */
export function withTenantSql<T>(db: Db, workspaceId: string, fn: (t: TransactionSql) => Promise<T>): Promise<T> {
  if (!UUID.test(workspaceId)) throw new AppError(500, "internal_error", "withTenantSql needs a workspace id");
  return db.$client.begin(async (t) => {
    // Sent now, pipelined ahead of fn's first statement (a round trip fewer): statements on
    // a connection run in order, and one that fails aborts the transaction, so nothing of
    // fn's runs outside the scope.
    const scope = t`select set_config('role', ${APP_ROLE}, true), set_config('app.workspace_id', ${workspaceId}, true)`.execute();
    const [, out] = await Promise.all([scope, fn(t)]);
    return out;
  }) as Promise<T>;
}
