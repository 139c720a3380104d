import { dataAccess } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { temporarilyUnavailable } from "../errors.js";
import type { AccessEntry } from "./entry.js";

/**
 * Records one read of personal data before its answer leaves: through the group commit
 * in a long-lived process (./writer.ts), one insert of its own in a Worker's request.
 * A record that cannot be written is a 503: the read is not answered unrecorded.
 */
export async function recordAccess(s: Services, e: AccessEntry): Promise<void> {
  try {
    if (s.accessWriter) await s.accessWriter.add(e);
    else await withTenant(s.db, e.workspaceId, (tx) => tx.insert(dataAccess).values(e).then(() => undefined));
  } catch (err) {
    s.logger.error("a read could not be recorded", { route: e.route, workspace_id: e.workspaceId, error: err });
    throw temporarilyUnavailable("The read could not be recorded; try again in a moment");
  }
}
