import type { Context } from "hono";
import { validationFailed } from "../../../lib/errors.js";
import { getMessage, listMessages } from "../../../lib/messages/read.js";
import { listNumbers } from "../../../lib/whatsapp/list.js";
import { getWorkspaceSettings } from "../../../lib/workspaces/workspaces.js";
import { nextDate, startOfLocalDay, workspaceTimezone } from "../../../lib/workspaces/timezone.js";
import type { AppEnv } from "../../env.js";
import type { PageRoutes } from "./routes.js";
import { displayContent, displayMessageSide, displayWamid } from "./display-phone.js";
import { idParam, pageFacts, workspaceOf } from "./facts.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import { ListView, readPage } from "./list.js";
import { Field, Select, Table } from "./ui.js";

const STATUSES = ["queued", "sending", "retrying", "sent", "delivered", "read", "failed", "received"];

/** The workspace's numbers' display numbers, by phone-number id: a message names its business side by the id. */
async function displayNumbers(c: Context<AppEnv>): Promise<Map<string, string | null>> {
  return new Map((await listNumbers(c.env.services, workspaceOf(c))).map((n) => [n.phone_number_id, n.display_number]));
}

export const StatusBadge = ({ status }: { status: string }) => <span class={`badge${status === "failed" ? " bad" : status === "read" || status === "delivered" ? " good" : ""}`}>{status}</span>;

async function trackerPage(c: Context<AppEnv>) {
  const facts = await pageFacts(c);
  const ws = workspaceOf(c);
  const q = { status: c.req.query("status") || undefined, to: c.req.query("to")?.trim() || undefined, date: c.req.query("date") || undefined };
  const tz = workspaceTimezone(await getWorkspaceSettings(c.env.services, ws));
  const numbers = await displayNumbers(c);
  // A bad filter is said on the page, over an empty list, not as an error page.
  const { rows, next, problem } = await readPage(c, async (s, workspaceId, { date, to, ...rest }) => {
    if (date !== undefined && (!/^\d{4}-\d\d-\d\d$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)))) throw validationFailed([{ field: "date", message: "must be a date, YYYY-MM-DD" }], "The filter is not valid");
    const created = date ? { from: startOfLocalDay(date, tz), until: startOfLocalDay(nextDate(date), tz) } : undefined;
    return listMessages(s, workspaceId, { ...rest, to: to?.replace(/[\s\-().]/g, "") }, created);
  }, q);
  return c.html(
    <Layout facts={facts} title="Messages" active="messages">
      <ListView
        path="/app/messages"
        label="Filter messages"
        submit="Filter"
        filters={
          <>
            <Select form="filter" name="status" label="Status" value={q.status} options={[{ value: "", label: "any" }, ...STATUSES.map((s) => ({ value: s, label: s }))]} />
            <Field form="filter" name="to" label="To" type="search" value={q.to} inputmode="tel" hint="a phone number" errors={problem?.errors} />
            <Field form="filter" name="date" label="Day" type="date" value={q.date} hint={`in ${tz}`} errors={problem?.errors} />
          </>
        }
        problem={problem}
        caption="Newest first"
        head={["Created", "Direction", "To", "From", "Type", "Status", ""]}
        empty="No message matches."
        rows={rows.length}
        query={{ status: q.status, to: q.to, date: q.date }}
        next={next}
      >
        {rows.map((m) => (
          <tr>
            <td>{formatTime(m.created_at)}</td>
            <td>{m.direction}</td>
            <td>{displayMessageSide(facts, numbers, m.to)}</td>
            <td>{displayMessageSide(facts, numbers, m.from)}</td>
            <td>{m.type}</td>
            <td>
              <StatusBadge status={m.status} />
            </td>
            <td>
              <a href={`/app/messages/${m.id}`} aria-label={`History of message ${m.id}`}>
                History
              </a>
            </td>
          </tr>
        ))}
      </ListView>
    </Layout>,
    problem?.status ?? 200,
  );
}

async function messagePage(c: Context<AppEnv>) {
  const facts = await pageFacts(c);
  const m = await getMessage(c.env.services, workspaceOf(c), idParam(c));
  const numbers = await displayNumbers(c);
  return c.html(
    <Layout facts={facts} title="Message" active="messages">
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{m.id}</code>
        </dd>
        <dt>Direction</dt>
        <dd>{m.direction}</dd>
        <dt>To</dt>
        <dd>{displayMessageSide(facts, numbers, m.to)}</dd>
        <dt>From</dt>
        <dd>{displayMessageSide(facts, numbers, m.from)}</dd>
        <dt>Type</dt>
        <dd>{m.type}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={m.status} />
        </dd>
        <dt>Meta's id</dt>
        <dd>{m.wamid ? <code>{displayWamid(facts, m.wamid)}</code> : "—"}</dd>
        <dt>Attempts</dt>
        <dd>{m.attempts}</dd>
        {m.error ? (
          <>
            <dt>Error</dt>
            <dd>
              {m.error.code ?? ""} {m.error.title ?? ""} {m.error.reason ? `(${m.error.reason})` : ""}
              {m.error.details ? <div class="muted">{m.error.details}</div> : null}
            </dd>
          </>
        ) : null}
      </dl>
      <Table caption="History" head={["When", "Status", "Details"]} empty="No event recorded." rows={m.history.length}>
        {m.history.map((h) => (
          <tr>
            <td>{formatTime(h.at)}</td>
            <td>
              <StatusBadge status={h.status} />
            </td>
            <td>{"details" in h && h.details ? <code>{JSON.stringify(h.details)}</code> : ""}</td>
          </tr>
        ))}
      </Table>
      <h2>Content</h2>
      <pre>{displayContent(facts, m.content)}</pre>
      <p>
        <a href="/app/messages">All messages</a>
      </p>
    </Layout>,
  );
}

/** /app/messages: the tracker (status, to, day; keyset pages) and one message's history. */
export function registerMessagePages(app: PageRoutes) {
  app.get("/messages", trackerPage);
  app.get("/messages/:id", messagePage);
}
