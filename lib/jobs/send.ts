import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { paceSend } from "../gate/pace.js";
import { sendToMeta, type SendResult } from "../meta/client.js";
import { tagSend } from "../meta/tag.js";
import type { Attempt, SendJob } from "../queue/port.js";
import { dispatchRecorded, recordEvents, type OutgoingEvent } from "../webhooks/emit.js";
import { openToken } from "../whatsapp/numbers.js";
import { readHalt } from "../broadcasts/halt.js";
import { releaseTier } from "../broadcasts/tier.js";
import { groupBy } from "../group.js";
import { GroupCommit } from "../batch.js";
import { claimBatch, markPosting, type Claimed, type Held, type Number, type PostingClaim } from "./claim.js";
import { MARK_FAILED, PACING_DOWN, SEND_ATTEMPTS, SENDER_BACKLOG, SENDING_LEASE_MS, TOKEN_UNOPENABLE } from "./endings.js";

/** The claim was taken back (its lease lapsed) before this worker could mark it: not posted. */
class ClaimLost extends Error {}
/** Where a send's posting mark goes; settles once it is committed, or rejects (ClaimLost: not this attempt's). */
type Marks = { add(claim: PostingClaim): Promise<void> };
import { finishFor, recordFinish, type Finish, type SendOutcome, type Step } from "./finish.js";

export { SENDING_LEASE_MS } from "./endings.js";
export type { SendOutcome } from "./finish.js";

export interface SendItem {
  job: SendJob;
  attempt: Attempt;
}

/** Meta's "throughput reached" error code, and how many fresh slots a send gets for it within one job. */
const META_THROUGHPUT = 130429;
const THROTTLED_RESENDS = 3;
/** How long a send refused for throughput waits before its second try on the same slot. */
const REFUSED_AGAIN_MS = 25;

/** One message, as QStash delivers it: the batch of one. */
export async function runSendJob(s: Services, job: SendJob, attempt: Attempt): Promise<SendOutcome> {
  return (await runSendBatch(s, [{ job, attempt }]))[0]!;
}

/**
 * The one send function, whichever transport delivers the jobs. Per workspace: one
 * transaction claims the batch (lib/jobs/claim.ts), the tokens are opened just in time,
 * the sends go out in parallel at the number's pace, each send Meta took is recorded as
 * its answer arrives (concurrent answers share a transaction), and one transaction
 * records the other results (lib/jobs/finish.ts). Whatever fails before a message is posted (the vault, Redis) hands
 * its claim back with the reason; the last attempt ends it failed with that reason.
 */
export async function runSendBatch(s: Services, items: SendItem[]): Promise<SendOutcome[]> {
  const out: SendOutcome[] = new Array(items.length);
  const byWorkspace = groupBy(items.keys(), (i) => items[i]!.job.workspaceId);
  await Promise.all(
    [...byWorkspace].map(async ([workspaceId, idx]) => {
      const outcomes = await sendForWorkspace(s, workspaceId, idx.map((i) => items[i]!));
      idx.forEach((i, k) => (out[i] = outcomes[k]!));
    }),
  );
  return out;
}

async function sendForWorkspace(s: Services, workspaceId: string, items: SendItem[]): Promise<SendOutcome[]> {
  const ids = items.map((i) => i.job.messageId);
  const byId = new Map(items.map((i) => [i.job.messageId, i]));
  const isLast = (id: string, attempts: number) => {
    const { attempt } = byId.get(id)!;
    return attempt.retried >= attempt.maxRetries || attempts >= SEND_ATTEMPTS;
  };
  const { claimed, held, inFlight, numbers, forwarded } = await withTenant(s.db, workspaceId, async (tx) => {
    const c = await claimBatch(tx, workspaceId, ids, s.clock.now());
    // Lapsed claims failed on the way, and the statuses that settled them: durable with the claim.
    return { ...c, forwarded: c.events.length ? await recordEvents(s, tx, workspaceId, c.events) : 0 };
  });
  if (forwarded) await dispatchRecorded(s, [workspaceId]).catch((err: unknown) => s.logger.error("event dispatch failed", { error: err }));
  if (held.length) await giveBackTier(s, workspaceId, held);
  const outcomes = new Map<string, SendOutcome>();
  for (const id of inFlight) {
    // Asked again later (not dropped), so the lease can settle it; the last attempt leaves it to the lease sweep.
    const last = isLast(id, 0);
    outcomes.set(id, last ? { kind: "skipped", reason: "held by another worker; the lease sweep settles it if that worker stopped" } : { kind: "retry", reason: "being sent by another worker" });
  }
  const unclaimed = () => ids.map((id) => outcomes.get(id) ?? { kind: "skipped" as const, reason: "already claimed or finished" });
  if (!claimed.length) return unclaimed();

  // Each POST waits for its posting mark to commit: the process's mark writer, or here
  // concurrent marks of the batch share one statement.
  const writer = s.markWriter;
  const marks: Marks = writer
    ? {
        add: async (c) => {
          if (!(await writer.add(workspaceId, c))) throw new ClaimLost();
        },
      }
    : new GroupCommit<PostingClaim>(
        async (claims) => {
          const marked = await withTenant(s.db, workspaceId, (tx) => markPosting(tx, claims));
          return claims.map((c) => (marked.has(c.id) ? null : new ClaimLost()));
        },
        { maxInFlight: 4 },
      );
  // Each send Meta took is recorded as its answer arrives, so its wamid is known before
  // Meta's statuses for it come back (else they wait in the backlog, two transactions
  // each); answers arriving while a record is in flight share the next transaction.
  const answers = new GroupCommit<{ finish: Finish; event?: OutgoingEvent }>(
    (done) => recordFinish(s, workspaceId, done.map((d) => d.finish), done.flatMap((d) => (d.event ? [d.event] : [])), new Set(), s.clock.now()),
    { maxInFlight: 2 },
  );
  const recordAnswer = (m: Claimed, step: Step, last: boolean): Promise<boolean> => {
    if (step.kind !== "posted" || !step.r.ok) return Promise.resolve(false);
    const at = s.clock.now();
    return answers.add(finishFor(m, step, last, at, at)).then(
      () => true,
      // Recorded with the rest of the batch instead.
      (err: unknown) => (s.logger.error("could not record a send's answer on arrival", { workspace_id: workspaceId, error: err }), false),
    );
  };
  // Just in time: plaintext tokens live in this map for the duration of the sends only.
  const tokens = new Map<string, string | null>();
  let steps: { m: Claimed; number: Number; last: boolean; step: Step; recorded: boolean }[];
  try {
    for (const n of numbers.values()) {
      if (n.tokenStatus !== "active") continue;
      try {
        tokens.set(n.id, await openToken(s, n));
      } catch (err) {
        // Nothing was sent: its messages hand their claims back with the reason.
        s.logger.error("could not open a Meta token", { workspace_id: workspaceId, number_id: n.id, error: err });
        tokens.set(n.id, null);
      }
    }
    steps = await Promise.all(
      claimed.map(async (m) => {
        const number = numbers.get(m.whatsapp_number_id)!;
        const last = isLast(m.id, m.attempts);
        const step = await post(s, workspaceId, m, number, tokens.get(number.id), last, marks);
        return { m, number, last, step, recorded: await recordAnswer(m, step, last) };
      }),
    );
  } finally {
    tokens.clear();
  }

  const at = s.clock.now();
  const finish: Finish[] = [];
  const events: OutgoingEvent[] = [];
  const refused = new Set<string>();
  for (const { m, number, last, step, recorded } of steps) {
    if (step.kind === "lost") {
      outcomes.set(m.id, { kind: "skipped", reason: "its lease lapsed and the claim was taken back before posting" });
      continue;
    }
    if (recorded && step.kind === "posted" && step.r.ok) {
      outcomes.set(m.id, { kind: "sent", wamid: step.r.wamid });
      continue;
    }
    const { attempt } = byId.get(m.id)!;
    const retryBy = new Date(at.getTime() + (s.queue.retryWithinMs?.(attempt.retried) ?? 86_400_000) + SENDING_LEASE_MS);
    const f = finishFor(m, step, last, at, retryBy);
    finish.push(f.finish);
    outcomes.set(m.id, f.outcome);
    if (f.event) events.push(f.event);
    if (step.kind === "posted" && !step.r.ok && step.r.tokenInvalid) refused.add(number.id);
  }
  if (finish.length || events.length || refused.size) await recordFinish(s, workspaceId, finish, events, refused, at);
  const withheld = steps.filter((x) => x.step.kind === "withheld" && x.m.broadcast_id);
  if (withheld.length) await giveBackTier(s, workspaceId, withheld.map(({ m }) => ({ recipient: m.recipient, contact_id: m.contact_id, broadcast_id: m.broadcast_id!, whatsapp_number_id: m.whatsapp_number_id })));
  return unclaimed();
}

/**
 * A halted broadcast's sends that go back to `queued` here (withheld at their slot, or
 * held from a retry) give back their room in the messaging tier (lib/broadcasts/tier.ts).
 */
async function giveBackTier(s: Services, workspaceId: string, ms: Pick<Held, "recipient" | "contact_id" | "broadcast_id" | "whatsapp_number_id">[]): Promise<void> {
  const byBroadcast = groupBy(ms, (m) => `${m.broadcast_id} ${m.whatsapp_number_id}`);
  await Promise.all(
    [...byBroadcast.values()].map((xs) =>
      releaseTier(s.redis, workspaceId, xs[0]!.whatsapp_number_id, xs[0]!.broadcast_id, xs).catch((err: unknown) =>
        s.logger.error("could not give back a halted send's tier room", { workspace_id: workspaceId, error: err }),
      ),
    ),
  );
}

/** Paces and posts one message; anything that throws before the post holds it back, unsent. */
async function post(s: Services, workspaceId: string, m: Claimed, number: Number, token: string | null | undefined, last: boolean, marks: Marks): Promise<Step> {
  if (token === undefined) return { kind: "token_refused" };
  if (token === null) return { kind: "held", title: TOKEN_UNOPENABLE, reason: "token_unopenable" };
  const pace = () => paceSend(s.redis, s.clock, workspaceId, number.id, number.throughputMps);
  // Redis away: no slot, so nothing goes out and the claim is handed back (retrying) with
  // that reason; a throw here would leave the whole batch in `sending`, sent or not.
  try {
    // On the last attempt there is no later try to hand the job to: send, and let Meta decide.
    if (!(await pace()) && !last) return { kind: "held", title: SENDER_BACKLOG, reason: "retries_exhausted" };
  } catch (err) {
    s.logger.error("send pacing failed", { workspace_id: workspaceId, error: err });
    return { kind: "held", title: PACING_DOWN, reason: "retries_exhausted" };
  }
  // Paused or canceled while this send waited for its slot (lib/broadcasts/halt.ts).
  const halt = m.broadcast_id ? await readHalt(s.redis, workspaceId, m.broadcast_id).catch(() => null) : null;
  if (halt) return { kind: "withheld", halt };
  try {
    // Committed before the POST leaves: a claim that lapses without it was never posted.
    await marks.add({ id: m.id, attempts: m.attempts });
  } catch (err) {
    if (err instanceof ClaimLost) return { kind: "lost" };
    s.logger.error("could not mark a send as posting", { workspace_id: workspaceId, error: err });
    return { kind: "held", title: MARK_FAILED, reason: "retries_exhausted" };
  }
  const body = tagSend(m.id, m.payload);
  const send = () => sendToMeta({ graphUrl: s.config.meta.graphUrl, apiVersion: s.config.meta.apiVersion, phoneNumberId: number.phoneNumberId }, token, body, s.metaPost);
  let r = await send();
  // 130429: Meta refused it for throughput and did not take it, so sending again is
  // safe. Meta counts a number's calls in a sliding second: a send that leaves its slot
  // less late than the one a second before it (any send is a little late: the timer, the
  // posting mark) finds that second full, by a few milliseconds. Refused, it did not use
  // its slot: it tries again once on that same slot, a moment later. Taking a fresh slot
  // for it instead lost one slot per refusal, 6 % of a 1,000/s broadcast's. One try more
  // per slot at most: a number Meta holds below its recorded throughput is refused twice
  // per slot, then paced.
  if (!r.ok && r.code === META_THROUGHPUT) {
    await new Promise((done) => setTimeout(done, REFUSED_AGAIN_MS));
    r = await send();
  }
  // Still refused: a fresh slot now beats the queue's backoff of seconds. Pacing failing
  // here leaves Meta's refusal as the answer: retried later, as any 130429.
  const slot = () => pace().catch(() => false);
  for (let i = 0; i < THROTTLED_RESENDS && !r.ok && r.code === META_THROUGHPUT && (await slot()); i++) r = await send();
  return { kind: "posted", r };
}
