import { eq, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { users } from "../../db/schema/index.js";
import { asApp, withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { notFound } from "../errors.js";
import { normalizeEmail } from "./email.js";

export interface UserView {
  id: string;
  email: string;
  displayName: string | null;
  createdAt: Date;
  disabled: boolean;
}

/**
 * The person with this email, if any: for sign-in and invitation code only. Whatever it
 * answers, the caller's HTTP answer must not differ by it (no account enumeration).
 */
export async function findUserIdByEmail(s: Services | { db: Services["db"] }, email: string, tx?: Tx): Promise<{ userId: string; disabled: boolean } | null> {
  const run = (t: Tx) => t.execute<{ user_id: string; disabled: boolean }>(sql`select * from sandesh_user_by_email(${normalizeEmail(email)})`);
  const [row] = tx ? await run(tx) : await asApp(s.db, run);
  return row ? { userId: row.user_id, disabled: row.disabled } : null;
}

export async function getUser(s: Services, userId: string): Promise<UserView> {
  const [row] = await withUser(s.db, userId, (tx) => tx.select().from(users).where(eq(users.id, userId)));
  if (!row) throw notFound("User");
  return { id: row.id, email: row.email, displayName: row.displayName, createdAt: row.createdAt, disabled: row.disabledAt !== null };
}
