import { count } from "drizzle-orm";
import * as v from "valibot";
import type { Tx } from "../../db/client.js";
import { contacts, messages, type ExportSubject } from "../../db/schema/index.js";
import { ContactsFilter, contactsWhere, MessagesFilter, messagesWhere } from "./schema.js";

/** How many rows an export of `subject` narrowed by `filter` covers now, in the caller's tenant. */
export async function countRows(tx: Tx, subject: ExportSubject, filter: unknown): Promise<number> {
  const [r] =
    subject === "contacts"
      ? await tx.select({ n: count() }).from(contacts).where(contactsWhere(v.parse(ContactsFilter, filter)))
      : await tx.select({ n: count() }).from(messages).where(messagesWhere(v.parse(MessagesFilter, filter)));
  return r?.n ?? 0;
}
