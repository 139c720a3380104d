import type { Context } from "hono";
import { listSessions } from "../../../lib/sessions/list.js";
import type { AppEnv } from "../../env.js";
import { pageFacts } from "./facts.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import type { PageRoutes } from "./routes.js";
import { PostButton, Table } from "./ui.js";

/**
 * /app/sessions: the person's live sessions, this one marked. Revoking posts to the
 * session routes (POST /app/sessions/:id/revoke, /app/sessions/revoke-others), which
 * answer a form with 303 back here; a revoked session is refused on its next request.
 */
async function sessionsPage(c: Context<AppEnv>) {
  const facts = await pageFacts(c);
  const sessions = await listSessions(c.env.services, facts.session.userId, facts.session.sessionId);
  const csrf = facts.session.csrfToken;
  return c.html(
    <Layout facts={facts} title="Sessions" active="sessions">
      <p>Every browser signed in as {facts.session.email}. Signing one out ends it on its very next request.</p>
      <Table caption="Signed-in browsers, most recent sign-in first" head={["Device", "Address", "Signed in with", "Signed in", "Last seen", ""]} empty="No session." rows={sessions.length}>
        {sessions.map((s) => (
          <tr>
            <td>
              {s.device}
              {s.current ? (
                <>
                  {" "}
                  <span class="badge good">this browser</span>
                </>
              ) : null}
            </td>
            <td>{s.ip ?? "—"}</td>
            <td>{s.method === "passkey" ? "passkey" : "Google"}</td>
            <td>{formatTime(s.createdAt)}</td>
            <td>{formatTime(s.lastSeenAt)}</td>
            <td>
              <PostButton action={`/app/sessions/${s.id}/revoke`} csrf={csrf} label={s.current ? "Sign out" : "Sign out this session"} danger accessibleLabel={`Sign out ${s.device}, signed in ${formatTime(s.createdAt)}`} />
            </td>
          </tr>
        ))}
      </Table>
      {sessions.some((s) => !s.current) ? <PostButton action="/app/sessions/revoke-others" csrf={csrf} label="Sign out every other session" danger /> : null}
    </Layout>,
  );
}

export const registerSessionsPage = (app: PageRoutes) => app.get("/sessions", sessionsPage);
