import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";

/**
 * Inside withUser: how many ways the person has to sign in — their passkeys and their
 * Google identities (user_identities, where that table exists). The person's row is
 * locked first, so two removals at once cannot each see the other's method and leave
 * nothing.
 */
export async function countSignInMethods(tx: Tx, userId: string): Promise<number> {
  await tx.execute(sql`select id from users where id = ${userId} for update`);
  const [row] = await tx.execute<{ passkeys: number; identities: boolean }>(
    sql`select (select count(*)::int from passkeys where user_id = ${userId}) as passkeys, to_regclass('public.user_identities') is not null as identities`,
  );
  let n = row!.passkeys;
  if (row!.identities) {
    const [ids] = await tx.execute<{ n: number }>(sql`select count(*)::int as n from user_identities where user_id = ${userId}`);
    n += ids!.n;
  }
  return n;
}
