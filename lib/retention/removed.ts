import { sql } from "drizzle-orm";

/** What a message's payload becomes when its content is removed (retention, erase): its kind stays, nothing of what it said. */
export const REMOVED_PAYLOAD = sql`jsonb_build_object('type', type, 'removed', true)`;
