import type { Context } from "hono";
import { notFound } from "../../../lib/errors.js";
import { UUID_PATTERN } from "../../../lib/ids.js";
import { approveSupportGrant } from "../../../lib/support/approve.js";
import { denySupportGrant } from "../../../lib/support/deny.js";
import { approvableHours, PENDING_HOURS } from "../../../lib/support/limits.js";
import { listSupportGrants, listSupportReads, type GrantView } from "../../../lib/support/list.js";
import { revokeSupportGrant } from "../../../lib/support/revoke.js";
import type { AppEnv } from "../../env.js";
import { sessionActor } from "../middleware/session.js";
import { idParam, pageFacts, workspaceOf } from "./facts.js";
import { redirectWithFlash } from "./flash.js";
import { attempt, readForm, type FormProblem } from "./form.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import type { PageRoutes } from "./routes.js";
import { CsrfField, PostButton, Problems, Select, Table } from "./ui.js";

const lapsesAt = (g: GrantView) => new Date(new Date(g.requested_at).getTime() + PENDING_HOURS * 3600_000).toISOString();
const hoursLabel = (h: number) => (h === 1 ? "1 hour" : `${h} hours`);
const StateBadge = ({ state }: { state: GrantView["state"] }) => <span class={`badge${state === "active" ? " good" : state === "pending" ? "" : " bad"}`}>{state}</span>;

async function supportPage(c: Context<AppEnv>, problem?: FormProblem) {
  const facts = await pageFacts(c);
  const workspaceId = workspaceOf(c);
  const [grants, reads] = await Promise.all([listSupportGrants(c.env.services, workspaceId), listSupportReads(c.env.services, workspaceId)]);
  const csrf = facts.session.csrfToken;
  const pending = grants.filter((g) => g.state === "pending");
  const active = grants.filter((g) => g.state === "active");
  const past = grants.filter((g) => g.state !== "pending" && g.state !== "active");
  const operatorOf = new Map(grants.map((g) => [g.id, g.operator]));
  return c.html(
    <Layout facts={facts} title="Support access" active="support">
      <p>
        Sandesh's operators read a workspace only with an owner's approval, for a fixed time. Every request they make under a grant is listed below and in the audit log. A request not approved within {PENDING_HOURS} hours lapses and can no longer be approved. A grant ends by itself; revoke it to end it now.
      </p>
      <Problems message={problem?.message} errors={problem?.errors} />
      <Table caption="Waiting for approval" head={["Operator", "Reason", "Asked for", "Requested", ""]} empty="No requests are waiting." rows={pending.length}>
        {pending.map((g) => (
          <tr>
            <td>{g.operator}</td>
            <td>{g.reason}</td>
            <td>{hoursLabel(g.hours)}</td>
            <td>{formatTime(g.requested_at)}</td>
            <td>
              <form method="post" action={`/app/support/${g.id}/approve`} class="inline" aria-label={`Approve support access for ${g.operator}`}>
                <CsrfField token={csrf} />
                <Select form={`approve-${g.id}`} name="hours" label="For" value={String(g.hours)} options={approvableHours(g.hours).map((h) => ({ value: String(h), label: hoursLabel(h) }))} />
                <button type="submit">Approve</button>
              </form>
              <PostButton action={`/app/support/${g.id}/deny`} csrf={csrf} label="Deny" danger accessibleLabel={`Deny support access for ${g.operator}`} />
            </td>
          </tr>
        ))}
      </Table>
      <Table caption="Active grants" head={["Operator", "Reason", "Granted", "Approved", "Ends", ""]} empty="No grant is active." rows={active.length}>
        {active.map((g) => (
          <tr>
            <td>{g.operator}</td>
            <td>{g.reason}</td>
            <td>{hoursLabel(g.approved_hours ?? g.hours)}</td>
            <td>{formatTime(g.approved_at)}</td>
            <td>{formatTime(g.expires_at)}</td>
            <td>
              <PostButton action={`/app/support/${g.id}/revoke`} csrf={csrf} label="Revoke" danger accessibleLabel={`Revoke support access for ${g.operator}`} />
            </td>
          </tr>
        ))}
      </Table>
      <Table caption="Past grants" head={["Operator", "Reason", "State", "Requested", "Ended"]} empty="No past grants." rows={past.length}>
        {past.map((g) => (
          <tr>
            <td>{g.operator}</td>
            <td>{g.reason}</td>
            <td>
              <StateBadge state={g.state} />
            </td>
            <td>{formatTime(g.requested_at)}</td>
            <td>{formatTime(g.revoked_at ?? g.denied_at ?? g.expires_at ?? (g.state === "lapsed" ? lapsesAt(g) : null))}</td>
          </tr>
        ))}
      </Table>
      <Table caption="What support asked for, read or refused (most recent 100)" head={["When", "Operator", "Request", "Status"]} empty="Nothing has been read under a support grant." rows={reads.length}>
        {reads.map((r) => (
          <tr>
            <td>{formatTime(r.at)}</td>
            <td>{(r.grant_id && operatorOf.get(r.grant_id)) ?? "—"}</td>
            <td>
              <code>
                {r.method} {r.path}
              </code>
            </td>
            <td>{r.status ?? "—"}</td>
          </tr>
        ))}
      </Table>
    </Layout>,
    problem?.status ?? 200,
  );
}

const grantId = (c: Context<AppEnv>) => {
  const id = idParam(c);
  if (!UUID_PATTERN.test(id)) throw notFound("Support grant");
  return id;
};

/** /app/support: owners approve (for the time asked, or less) or deny requests; owners and admins see and revoke grants. */
export function registerSupportPages(app: PageRoutes) {
  app.get("/support", (c) => supportPage(c));
  app.post("/support/:id/approve", async (c) => {
    const id = grantId(c);
    const form = await readForm(c);
    const raw = form.text("hours");
    const hours = raw === undefined ? undefined : /^\d{1,2}$/.test(raw) ? Number(raw) : NaN;
    const r = await attempt(() => approveSupportGrant(c.env.services, workspaceOf(c), id, hours, sessionActor(c)));
    return r.ok ? redirectWithFlash(c, "/app/support", "support_approved") : supportPage(c, r.problem);
  });
  app.post("/support/:id/deny", async (c) => {
    const id = grantId(c);
    const r = await attempt(() => denySupportGrant(c.env.services, workspaceOf(c), id, sessionActor(c)));
    return r.ok ? redirectWithFlash(c, "/app/support", "support_denied") : supportPage(c, r.problem);
  });
  app.post("/support/:id/revoke", async (c) => {
    const id = grantId(c);
    const r = await attempt(() => revokeSupportGrant(c.env.services, workspaceOf(c), id, sessionActor(c)));
    return r.ok ? redirectWithFlash(c, "/app/support", r.value.alreadyRevoked ? "support_already_revoked" : "support_revoked") : supportPage(c, r.problem);
  });
}
