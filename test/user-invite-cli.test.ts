import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptInvitation } from "../lib/people/accept.js";
import { findInvitation } from "../lib/people/find-invitation.js";
import { uniqueEmail } from "./support/people-kit.js";
import { runTs, type Ran } from "./support/spawn.js";
import { childEnv, createTestStack, type TestStack } from "./support/stack.js";

let stack: TestStack;
let env: Record<string, string>;
beforeAll(async () => {
  stack = await createTestStack();
  env = { ...childEnv(stack), PUBLIC_URL: "https://dash.example.com" };
});
afterAll(() => stack.close());

const admin = (args: string[]) => runTs("dev/admin/cli.ts", args, env);
const json = (r: Ran) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe("npm run admin -- user invite", () => {
  it("prints a one-time link under PUBLIC_URL, once; the link is valid and names the email and role", async () => {
    const { workspaceId } = await stack.tenant("CLI invite");
    const email = uniqueEmail();
    const out = json(await admin(["user", "invite", "--workspace", workspaceId, "--email", email, "--role", "owner", "--json"]));
    expect(out).toEqual({ id: expect.any(String), workspace_id: workspaceId, email, role: "owner", expires_at: expect.any(String), link: expect.stringMatching(/^https:\/\/dash\.example\.com\/app\/invite\/inv_[A-Za-z0-9_-]{43}$/) });
    const token = out.link.split("/").pop();
    expect(await findInvitation(stack.services, token)).toMatchObject({ email, role: "owner", workspaceId });
    expect(JSON.stringify(await stack.owner`select * from invitations`)).not.toContain(token);
    expect(JSON.stringify(await stack.owner`select * from audit_log`)).not.toContain(token);

    const text = await admin(["user", "invite", "--workspace", workspaceId, "--email", uniqueEmail()]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/https:\/\/dash\.example\.com\/app\/invite\/inv_\S{43}\n/);
    expect(text.stdout).toMatch(/shown only now/);
  }, 60_000);

  it("the same answer for an email that has an account and one that has not", async () => {
    const { workspaceId } = await stack.tenant("CLI enum");
    const email = uniqueEmail();
    const fresh = json(await admin(["user", "invite", "--workspace", workspaceId, "--email", email, "--json"]));
    await acceptInvitation(stack.services, fresh.link.split("/").pop());
    const known = json(await admin(["user", "invite", "--workspace", workspaceId, "--email", email, "--json"]));
    const shape = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v]));
    expect(shape(known)).toEqual(shape(fresh));
    expect(known.email).toBe(fresh.email);
  }, 60_000);

  it.each([
    [["user", "invite", "--email", "a@example.com"], 2, /--workspace is required/],
    [["user", "invite", "--workspace", "WS", "--email", "a@example.com", "--role", "god"], 2, /--role must be/],
    [["user", "invite", "--workspace", "WS"], 2, /--email is required/],
    [["user", "frobnicate", "--workspace", "WS"], 2, /unknown command: user frobnicate/],
  ])("%j: exit %i with a clear message", async (args, code, message) => {
    const { workspaceId } = await stack.tenant("CLI bad");
    const r = await admin(args.map((a) => (a === "WS" ? workspaceId : a)));
    expect(r.code, r.stdout + r.stderr).toBe(code);
    expect(r.stderr).toMatch(message);
  }, 60_000);
});
