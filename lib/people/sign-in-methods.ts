import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";

/**
 * Inside withUser: how many ways the person has to sign in — their passkeys and their
 * Google identities. The person's row is locked first, so two removals at once (two
 * passkeys, or a passkey and a Google link) cannot each see the other's method and
 * leave nothing.
 */
export async function countSignInMethods(tx: Tx, userId: string): Promise<number> {
  await tx.execute(sql`select id from users where id = ${userId} for update`);
  const [row] = await tx.execute<{ n: number }>(
    sql`select (select count(*)::int from passkeys where user_id = ${userId}) + (select count(*)::int from user_identities where user_id = ${userId}) as n`,
  );
  return row!.n;
}
