import type { Context } from "hono";
import type { CreatedInvitation } from "../../../lib/people/invite.js";
import { listInvitations } from "../../../lib/people/list-invitations.js";
import { listMembers } from "../../../lib/people/memberships.js";
import { canGrantRole, canManageMembers, ROLES } from "../../../lib/people/roles.js";
import type { AppEnv } from "../../env.js";
import { pageFacts, workspaceOf } from "./facts.js";
import type { FormProblem } from "./form.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import type { PageRoutes } from "./routes.js";
import { CsrfField, Field, Problems, Select, Table } from "./ui.js";

async function membersPage(c: Context<AppEnv>, shown: { invited?: CreatedInvitation; problem?: FormProblem; typed?: { email?: string | undefined; role?: string | undefined } } = {}) {
  const facts = await pageFacts(c);
  const ws = workspaceOf(c);
  const manages = canManageMembers(facts.session.role);
  const [members, invitations] = await Promise.all([listMembers(c.env.services, ws), manages ? listInvitations(c.env.services, ws) : Promise.resolve([])]);
  if (shown.invited) c.header("Cache-Control", "no-store");
  return c.html(
    <Layout facts={facts} title="Members" active="members">
      {shown.invited ? (
        <section class="card" aria-labelledby="invite-link">
          <h2 id="invite-link">Invitation for {shown.invited.email}</h2>
          <p>Send this link to them yourself. It works once, until {formatTime(shown.invited.expiresAt)}, and is not shown again.</p>
          <p class="secret" aria-label="The invitation link">
            {shown.invited.link}
          </p>
        </section>
      ) : null}
      <Table caption="Members" head={["Email", "Name", "Role", "Joined"]} empty="No member." rows={members.length}>
        {members.map((m) => (
          <tr>
            <td>
              {m.email}
              {m.userId === facts.session.userId ? <span class="muted"> (you)</span> : null}
            </td>
            <td>{m.displayName ?? "—"}</td>
            <td>{m.role}</td>
            <td>{formatTime(m.joinedAt)}</td>
          </tr>
        ))}
      </Table>
      {manages ? (
        <>
          <form method="post" action="/app/members/invitations" class="card" aria-labelledby="invite">
            <h2 id="invite">Invite someone</h2>
            <Problems message={shown.problem?.message} errors={shown.problem?.errors} />
            <CsrfField token={facts.session.csrfToken} />
            <Field form="invite" name="email" label="Email" type="email" value={shown.typed?.email} required autocomplete="off" errors={shown.problem?.errors} hint="They accept with a passkey, or with Google under this same address." />
            <Select form="invite" name="role" label="Role" value={shown.typed?.role ?? "agent"} options={ROLES.filter((r) => canGrantRole(facts.session.role, r)).map((r) => ({ value: r, label: r }))} />
            <button type="submit">Create invitation</button>
          </form>
          <Table caption="Invitations" head={["Email", "Role", "Sent", "Expires", "State"]} empty="No invitation yet." rows={invitations.length}>
            {invitations.map((i) => (
              <tr>
                <td>{i.email}</td>
                <td>{i.role}</td>
                <td>{formatTime(i.createdAt)}</td>
                <td>{formatTime(i.expiresAt)}</td>
                <td>
                  <span class={`badge${i.status === "accepted" ? " good" : i.status === "pending" ? "" : " bad"}`}>{i.status}</span>
                </td>
              </tr>
            ))}
          </Table>
        </>
      ) : (
        <p class="muted">Owners and admins invite new members.</p>
      )}
    </Layout>,
    shown.problem?.status ?? (shown.invited ? 201 : 200),
  );
}

/**
 * The answer to the invite form (POST /app/members/invitations, functions/app/members):
 * the members page with the one-time link on it, this once.
 */
export const invitationCreatedPage = (c: Context<AppEnv>, inv: CreatedInvitation) => membersPage(c, { invited: inv });

/** /app/members: the workspace's members; owners and admins invite through POST /app/members/invitations. */
export const registerMemberPages = (app: PageRoutes) => app.get("/members", (c) => membersPage(c));
