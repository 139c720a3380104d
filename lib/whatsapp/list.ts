import { asc } from "drizzle-orm";
import { whatsappNumbers } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { numberView, type NumberView } from "./numbers.js";

/** A workspace's connected numbers, oldest first; the token never leaves the row (numberView has no token). */
export async function listNumbers(s: Services, workspaceId: string): Promise<NumberView[]> {
  const rows = await withTenant(s.db, workspaceId, (tx) => tx.select().from(whatsappNumbers).orderBy(asc(whatsappNumbers.createdAt), asc(whatsappNumbers.id)));
  return rows.map(numberView);
}
