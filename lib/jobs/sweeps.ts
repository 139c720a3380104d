import type { Services } from "../context.js";
import { purgeDataAccess } from "../access/purge.js";
import { sweepBroadcasts } from "../broadcasts/sweep.js";
import { sweepImports } from "../contacts/import-sweep.js";
import { sweepExports } from "../exports/sweep.js";
import { purgeLapsedAccess } from "../retention/lapsed-access.js";
import { purgeExpiredContent } from "../retention/purge.js";
import { redispatchWebhooks } from "../webhooks/emit.js";
import { applyUnsettledTags, settleLapsedMessages } from "./lease.js";
import { applyStrandedStatuses, expireStatusBacklog, requeueStuckMessages } from "./sweep.js";

export interface Sweep {
  run(s: Services): Promise<unknown>;
  /** What the log says when it fails. */
  failed: string;
}

/**
 * Every periodic sweep, in lanes: the Node process runs the lanes side by side each tick
 * (the steps of one lane in turn, each failure logged and the next step still run), the
 * Worker's cron runs every step in this order in the same way, as one lane. `atStart`: the
 * Node process also runs the lane when it starts, so a broadcast or import whose process
 * died is picked up without waiting for the first tick. One list, so a new sweep cannot
 * reach one runtime only.
 */
export const SWEEP_LANES: readonly { steps: readonly Sweep[]; atStart?: boolean }[] = [
  { steps: [{ run: requeueStuckMessages, failed: "sweep failed" }] },
  { steps: [{ run: applyStrandedStatuses, failed: "status backlog sweep failed" }] },
  { steps: [{ run: expireStatusBacklog, failed: "status backlog expiry failed" }] },
  { steps: [{ run: settleLapsedMessages, failed: "lease sweep failed" }] },
  { steps: [{ run: applyUnsettledTags, failed: "tagged status sweep failed" }] },
  { steps: [{ run: redispatchWebhooks, failed: "webhook sweep failed" }] },
  { steps: [{ run: sweepBroadcasts, failed: "broadcast sweep failed" }], atStart: true },
  { steps: [{ run: sweepImports, failed: "import sweep failed" }], atStart: true },
  { steps: [{ run: purgeExpiredContent, failed: "retention purge failed" }] },
  // The read records' purge after the lapsed access's, not beside it: no more sweeps in flight per tick on the shared pool.
  {
    steps: [
      { run: purgeLapsedAccess, failed: "lapsed access purge failed" },
      { run: purgeDataAccess, failed: "read record purge failed" },
    ],
  },
  { steps: [{ run: sweepExports, failed: "export sweep failed" }] },
];

/** Steps in turn; a failure is logged and the next step still runs. Answers the failed steps' log lines. */
export async function runLane(s: Services, steps: readonly Sweep[]): Promise<string[]> {
  const failed: string[] = [];
  for (const step of steps) {
    try {
      await step.run(s);
    } catch (err) {
      s.logger.error(step.failed, { error: err });
      failed.push(step.failed);
    }
  }
  return failed;
}
