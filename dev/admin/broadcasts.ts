import { cancelBroadcast } from "../../lib/broadcasts/cancel.js";
import { getBroadcast, listBroadcasts } from "../../lib/broadcasts/get.js";
import { pauseBroadcast } from "../../lib/broadcasts/pause.js";
import { resumeBroadcast } from "../../lib/broadcasts/resume.js";
import { createNodeQueue } from "../queue.js";
import type { NodeServices } from "../services.js";
import { UsageError, type CommandResult, type Flags } from "./usage.js";

const OPERATOR = { actorType: "operator" as const, actorId: "admin-cli" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const idFlag = (flags: Flags) => {
  const id = flags.id;
  if (typeof id !== "string" || !UUID.test(id)) throw new UsageError("--id is required (a broadcast id)");
  return id;
};

const line = (b: { id: string; status: string; name: string; send_at: string }) => `${b.id}  ${b.status.padEnd(9)}  ${b.send_at}  ${b.name}`;

/** `broadcast list|show|pause|resume|cancel --workspace W [--id B]`: the same verbs as the API, as an operator. */
export async function broadcastCommand(verb: string | undefined, workspaceId: string, flags: Flags, s: NodeServices): Promise<CommandResult> {
  switch (verb) {
    case "list": {
      const page = await listBroadcasts(s, workspaceId, { limit: "100" });
      return { json: page, text: page.data.length ? page.data.map(line).join("\n") : "no broadcasts" };
    }
    case "show": {
      const b = await getBroadcast(s, workspaceId, idFlag(flags));
      const c = b.counts;
      return { json: b, text: `${line(b)}\n  targeted ${c.targeted}, queued ${c.queued}, sent ${c.sent}, delivered ${c.delivered}, read ${c.read}, failed ${c.failed}, canceled ${c.canceled}\n  skipped ${JSON.stringify(c.skipped)}` };
    }
    case "pause":
    case "cancel": {
      const r = verb === "pause" ? await pauseBroadcast(s, workspaceId, idFlag(flags), OPERATOR) : await cancelBroadcast(s, workspaceId, idFlag(flags), OPERATOR);
      return { json: r, text: `broadcast ${r.id} ${r.status}` };
    }
    case "resume": {
      // Resume hands the run to the queue: this process opens it for that one job.
      const queue = await createNodeQueue(s.config, s.logger);
      try {
        const r = await resumeBroadcast({ ...s, queue }, workspaceId, idFlag(flags), OPERATOR);
        return { json: r, text: `broadcast ${r.id} ${r.status}` };
      } finally {
        await queue.close();
      }
    }
    default:
      throw new UsageError(verb ? `unknown broadcast command: ${verb}` : "broadcast needs a command: list, show, pause, resume or cancel");
  }
}
