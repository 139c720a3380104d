import { eq } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { contacts } from "../../db/schema/index.js";
import { notFound } from "../errors.js";
import { UUID_PATTERN } from "../ids.js";

/** The contact in the caller's tenant transaction (locked for the rest of it when `lock`); another workspace's id is a 404. */
export async function getContactRow(tx: Tx, id: string, lock = false) {
  if (!UUID_PATTERN.test(id)) throw notFound("Contact");
  const q = tx.select().from(contacts).where(eq(contacts.id, id));
  const [row] = lock ? await q.for("update") : await q;
  if (!row) throw notFound("Contact");
  return row;
}
