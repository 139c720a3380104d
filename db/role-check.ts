import { sql } from "drizzle-orm";
import type { Db } from "./client.js";
import { APP_ROLE } from "./tenant.js";

/**
 * What the application's own connection is allowed to be. Inside withTenant every
 * query runs as `sandesh_app`, but a session that logged in as the owner could leave
 * that role again; so in production the app must log in as a role with no more power.
 * Returns the problems found (empty when the login is safe).
 */
export async function loginRoleProblems(db: Db): Promise<string[]> {
  const [r] = await db.execute<{ role: string; superuser: boolean; bypassrls: boolean; owns: number; member_of: string[] | string }>(sql`
    select current_user as role, r.rolsuper as superuser, r.rolbypassrls as bypassrls,
      (select count(*)::int from pg_tables where schemaname = 'public' and tableowner = current_user) as owns,
      (select coalesce(json_agg(g.rolname), '[]') from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid and g.rolname <> ${APP_ROLE}) as member_of
    from pg_roles r where r.rolname = current_user`);
  const problems: string[] = [];
  if (!r) return ["cannot read the login role"];
  if (r.superuser) problems.push(`logs in as superuser ${r.role}`);
  if (r.bypassrls) problems.push(`role ${r.role} has BYPASSRLS`);
  if (r.owns > 0) problems.push(`role ${r.role} owns ${r.owns} tables`);
  const groups = typeof r.member_of === "string" ? (JSON.parse(r.member_of) as string[]) : r.member_of;
  if (groups.length) problems.push(`role ${r.role} can become ${groups.join(", ")}`);
  return problems;
}
