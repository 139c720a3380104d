import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../lib/clock.js";
import { acceptInvitation } from "../lib/people/accept.js";
import { findInvitation } from "../lib/people/find-invitation.js";
import { createInvitation, INVITATION_TTL_MS } from "../lib/people/invite.js";
import { listMembers, userWorkspaces } from "../lib/people/memberships.js";
import { uniqueEmail } from "./support/people-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({ PUBLIC_URL: "https://sandesh.example.com" }, { clock });
});
afterAll(() => stack.close());

const OPERATOR = { actorType: "operator" as const, actorId: "test" };
const invite = async (email = uniqueEmail(), role: "owner" | "admin" | "agent" | "viewer" = "agent", workspaceId?: string) => {
  const ws = workspaceId ?? (await stack.tenant("Invites")).workspaceId;
  return createInvitation(stack.services, { workspaceId: ws, email, role }, OPERATOR);
};

describe("invitations", () => {
  it("a one-time link under PUBLIC_URL: a random token of which only the SHA-256 is stored, valid 72 hours", async () => {
    const inv = await invite(" New.Person@Example.COM ");
    expect(inv.email).toBe("new.person@example.com");
    expect(inv.link).toBe(`https://sandesh.example.com/app/invite/${inv.token}`);
    expect(inv.token).toMatch(/^inv_[A-Za-z0-9_-]{43}$/);
    expect(inv.expiresAt.getTime() - clock.now().getTime()).toBeGreaterThan(INVITATION_TTL_MS - 5_000);
    const [row] = await stack.owner`select token_hash, expires_at - created_at as ttl from invitations where id = ${inv.id}`;
    expect(row!.token_hash).toBe(createHash("sha256").update(inv.token).digest("hex"));
    expect(JSON.stringify(await stack.owner`select * from invitations`)).not.toContain(inv.token);
    expect(stack.logs.join("\n")).not.toContain(inv.token);
  });

  it("accepting makes the person and the membership, once; the same link again is refused", async () => {
    const inv = await invite(undefined, "admin");
    expect(await findInvitation(stack.services, inv.token)).toMatchObject({ email: inv.email, role: "admin", workspaceId: inv.workspaceId });
    const a = await acceptInvitation(stack.services, inv.token);
    expect(a).toMatchObject({ email: inv.email, workspaceId: inv.workspaceId, role: "admin", userCreated: true });
    expect(await userWorkspaces(stack.services, a.userId)).toEqual([expect.objectContaining({ workspaceId: inv.workspaceId, role: "admin" })]);
    await expect(acceptInvitation(stack.services, inv.token)).rejects.toMatchObject({ status: 410, code: "invitation_invalid" });
    await expect(findInvitation(stack.services, inv.token)).rejects.toMatchObject({ code: "invitation_invalid" });
  });

  it("two accepts racing: exactly one wins, and nothing of the loser is left", async () => {
    const inv = await invite();
    const results = await Promise.allSettled([acceptInvitation(stack.services, inv.token), acceptInvitation(stack.services, inv.token), acceptInvitation(stack.services, inv.token)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "invitation_invalid" });
    expect(await stack.owner`select 1 from users where email = ${inv.email}`).toHaveLength(1);
    expect(await stack.owner`select 1 from memberships where workspace_id = ${inv.workspaceId}`).toHaveLength(1);
  });

  it("an expired link is refused, and so are unknown and malformed ones, all alike", async () => {
    const inv = await invite();
    try {
      offsetMs = INVITATION_TTL_MS + 1000;
      await expect(acceptInvitation(stack.services, inv.token)).rejects.toMatchObject({ status: 410, code: "invitation_invalid" });
    } finally {
      offsetMs = 0;
    }
    const messages = await Promise.all(
      [inv.token.slice(0, -1) + (inv.token.endsWith("A") ? "B" : "A"), "inv_short", "nonsense"].map((t) => acceptInvitation(stack.services, t).catch((e: Error) => e.message)),
    );
    expect(new Set(messages).size).toBe(1);
    expect((await stack.owner`select accepted_at from invitations where id = ${inv.id}`)[0]!.accepted_at).toBeNull();
  });

  it("an identity provider's email must match the invitation's and be verified", async () => {
    const inv = await invite();
    await expect(acceptInvitation(stack.services, inv.token, { email: uniqueEmail(), emailVerified: true })).rejects.toMatchObject({ status: 403, code: "invitation_email_mismatch" });
    await expect(acceptInvitation(stack.services, inv.token, { email: inv.email, emailVerified: false })).rejects.toMatchObject({ code: "invitation_email_mismatch" });
    const a = await acceptInvitation(stack.services, inv.token, { email: inv.email.toUpperCase(), emailVerified: true });
    expect(a.email).toBe(inv.email);
  });

  it("the link alone cannot take over an existing account: 409 invitation_needs_sign_in, nothing written, the link still usable", async () => {
    const email = uniqueEmail();
    const first = await acceptInvitation(stack.services, (await invite(email, "owner")).token);
    const inv = await invite(email, "viewer");
    await expect(acceptInvitation(stack.services, inv.token)).rejects.toMatchObject({ status: 409, code: "invitation_needs_sign_in" });
    await expect(acceptInvitation(stack.services, inv.token, { newUserId: crypto.randomUUID() })).rejects.toMatchObject({ code: "invitation_needs_sign_in" });
    expect(await stack.owner`select 1 from memberships where workspace_id = ${inv.workspaceId}`).toHaveLength(0);
    // Signed in as someone else: refused too.
    const other = await acceptInvitation(stack.services, (await invite()).token);
    await expect(acceptInvitation(stack.services, inv.token, { userId: other.userId })).rejects.toMatchObject({ status: 403, code: "invitation_email_mismatch" });
    expect((await acceptInvitation(stack.services, inv.token, { userId: first.userId })).userId).toBe(first.userId);
  });

  it("a person already known joins a second workspace as the same user, signed in or through a verified identity", async () => {
    const email = uniqueEmail();
    const first = await acceptInvitation(stack.services, (await invite(email, "owner")).token);
    const second = await acceptInvitation(stack.services, (await invite(email, "viewer")).token, { userId: first.userId });
    const third = await acceptInvitation(stack.services, (await invite(email, "agent")).token, { email, emailVerified: true });
    expect(third.userId).toBe(first.userId);
    expect(second.userId).toBe(first.userId);
    expect(second.userCreated).toBe(false);
    expect((await userWorkspaces(stack.services, first.userId)).map((w) => w.role)).toEqual(["owner", "viewer", "agent"]);
    expect((await listMembers(stack.services, second.workspaceId)).map((m) => m.email)).toEqual([email]);
  });

  it("what `within` writes fails with the acceptance: nothing half-written, the link still usable", async () => {
    const inv = await invite();
    await expect(acceptInvitation(stack.services, inv.token, {}, async () => { throw new Error("passkey storage failed"); })).rejects.toThrow("passkey storage failed");
    expect(await stack.owner`select 1 from users where email = ${inv.email}`).toHaveLength(0);
    expect((await acceptInvitation(stack.services, inv.token)).userCreated).toBe(true);
  });

  it("creating and accepting are in the workspace's audit log, without the token", async () => {
    const inv = await invite();
    await acceptInvitation(stack.services, inv.token, { ip: "198.51.100.4", userAgent: "test" });
    const rows = await stack.owner`select action, actor_type, ip, details from audit_log where workspace_id = ${inv.workspaceId} and object_type = 'invitation' order by id`;
    expect(rows.map((r) => [r.action, r.actor_type])).toEqual([["invitation.created", "operator"], ["invitation.accepted", "user"]]);
    expect(rows[1]!.ip).toBe("198.51.100.4");
    expect(JSON.stringify(rows)).not.toContain(inv.token);
  });

  it("bad input: 422 validation_failed on the email or the role", async () => {
    const ws = (await stack.tenant()).workspaceId;
    await expect(createInvitation(stack.services, { workspaceId: ws, email: "not-an-email", role: "agent" }, OPERATOR)).rejects.toMatchObject({ status: 422, details: { field: "email" } });
    await expect(createInvitation(stack.services, { workspaceId: ws, email: uniqueEmail(), role: "god" }, OPERATOR)).rejects.toMatchObject({ status: 422, details: { field: "role" } });
  });
});
