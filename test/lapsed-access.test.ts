import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkers } from "../dev/queue.js";
import { purgeLapsedAccess } from "../lib/retention/lapsed-access.js";
import { IDLE_MS } from "../lib/sessions/auth.js";
import { createInvitation } from "../lib/people/invite.js";
import { eventually } from "./support/eventually.js";
import { signIn, uniqueEmail } from "./support/people-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// The sweep deletes sessions and invitations that can no longer let anyone in
// (migration 0035); live ones, and recently ended invitations, stay.
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

const sessionExists = async (id: string) => (await stack.owner`select 1 from sessions where id = ${id}`).length === 1;
const dashboard = (cookie: string) => stack.request("/app", { headers: { cookie, accept: "text/html" } });

describe("purging lapsed sessions and invitations", () => {
  it("deletes revoked, expired and idle sessions and invitations ended 30 days ago, in batches, once; a live session and recent invitations stay", async () => {
    const { workspaceId } = await stack.tenant("Lapsed");
    const [live, revoked, expired, idle, nearlyIdle] = await Promise.all(Array.from({ length: 5 }, () => signIn(stack, { workspaceId })));
    await stack.owner`update sessions set revoked_at = now(), revoked_reason = 'sign_out' where id = ${revoked!.sessionId}`;
    await stack.owner`update sessions set expires_at = now() - interval '1 second' where id = ${expired!.sessionId}`;
    await stack.owner`update sessions set last_seen_at = now() - ${`${IDLE_MS / 1000 + 60} seconds`}::interval where id = ${idle!.sessionId}`;
    await stack.owner`update sessions set last_seen_at = now() - ${`${IDLE_MS / 1000 - 3600} seconds`}::interval where id = ${nearlyIdle!.sessionId}`;

    const invite = async (set: string) => {
      const inv = await createInvitation(stack.services, { workspaceId, email: uniqueEmail("invitee"), role: "agent" }, { actorType: "operator", actorId: "test" });
      const [row] = await stack.owner<{ id: string }[]>`select id from invitations where email = ${inv.email}`;
      await stack.owner.unsafe(`update invitations set ${set} where id = $1`, [row!.id]);
      return row!.id;
    };
    const gone = await Promise.all([
      invite("accepted_at = now() - interval '31 days', expires_at = now() - interval '28 days'"),
      invite("revoked_at = now() - interval '31 days'"),
      invite("expires_at = now() - interval '31 days'"),
    ]);
    const kept = await Promise.all([
      invite("accepted_at = now() - interval '29 days'"),
      invite("revoked_at = now() - interval '1 day'"),
      invite("expires_at = now() - interval '1 day'"),
      invite("expires_at = now() + interval '1 day'"),
    ]);

    // Batches of 2: the 3 dead sessions and 3 dead invitations over two statements.
    expect(await purgeLapsedAccess(stack.services, 2)).toEqual({ sessions: 3, invitations: 3 });
    expect(await purgeLapsedAccess(stack.services, 2)).toEqual({ sessions: 0, invitations: 0 });

    for (const s of [revoked!, expired!, idle!]) expect(await sessionExists(s.sessionId), s.sessionId).toBe(false);
    for (const s of [live!, nearlyIdle!]) expect(await sessionExists(s.sessionId), s.sessionId).toBe(true);
    const left = new Set((await stack.owner<{ id: string }[]>`select id from invitations where workspace_id = ${workspaceId}`).map((r) => r.id));
    for (const id of gone) expect(left.has(id), id).toBe(false);
    for (const id of kept) expect(left.has(id), id).toBe(true);

    // A purged session's cookie is one that names nothing: sign in again.
    const refused = await dashboard(expired!.cookie);
    expect(refused.status).toBe(303);
    expect(refused.headers.get("location")).toMatch(/^\/app\/sign-in/);
    expect((await dashboard(live!.cookie)).status).toBe(200);
  });

  it("the Node process's sweep runs the purge", async () => {
    const who = await signIn(stack);
    await stack.owner`update sessions set expires_at = now() - interval '1 second' where id = ${who.sessionId}`;
    const stop = await startWorkers(stack.services, { sweepEveryMs: 200 });
    try {
      await eventually(() => sessionExists(who.sessionId), (exists) => !exists, 60_000);
    } finally {
      stop();
    }
  });
});
