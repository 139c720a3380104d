import type { Context } from "hono";
import { exportAudit, exportHeaders, listAudit, type AuditQuery } from "../../../lib/audit/list.js";
import type { AppEnv } from "../../env.js";
import { counted } from "../../middleware/record-read.js";
import type { PageRoutes } from "./routes.js";
import { pageFacts, workspaceOf } from "./facts.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import { ListView, readPage } from "./list.js";
import { Field } from "./ui.js";

const FILTERS = ["actor", "action", "object_type", "object_id", "from", "to"] as const;

function filtersOf(c: Context<AppEnv>): AuditQuery {
  const q: AuditQuery = {};
  for (const k of FILTERS) q[k] = c.req.query(k)?.trim() || undefined;
  return q;
}

/** /app/audit: the workspace's audit log, newest first, with the API's filters and its downloads. */
async function auditPage(c: Context<AppEnv>) {
  const facts = await pageFacts(c);
  const q = filtersOf(c);
  const { rows, next, problem } = await readPage(c, listAudit, q);
  counted(c, { data: rows });
  const query = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => Boolean(e[1])));
  return c.html(
    <Layout facts={facts} title="Audit log" active="audit">
      <ListView
        path="/app/audit"
        label="Filter the audit log"
        submit="Filter"
        filters={
          <>
            <Field form="audit" name="actor" label="Actor id" value={q.actor} errors={problem?.errors} />
            <Field form="audit" name="action" label="Action" value={q.action} hint="e.g. contact.updated" errors={problem?.errors} />
            <Field form="audit" name="object_type" label="Object type" value={q.object_type} errors={problem?.errors} />
            <Field form="audit" name="object_id" label="Object id" value={q.object_id} errors={problem?.errors} />
            <Field form="audit" name="from" label="From" type="date" value={q.from} errors={problem?.errors} />
            <Field form="audit" name="to" label="Before" type="date" value={q.to} errors={problem?.errors} />
          </>
        }
        problem={problem}
        actions={
          <p>
            Download these rows: <a href={`/app/audit/export?${new URLSearchParams([...query, ["format", "csv"]])}`}>CSV</a> ·{" "}
            <a href={`/app/audit/export?${new URLSearchParams([...query, ["format", "ndjson"]])}`}>JSON Lines</a> ·{" "}
            <a href="/app/audit/reads">Reads of personal data</a>
          </p>
        }
        caption="Newest first; each row's hash covers the one before"
        head={["#", "When", "Actor", "Action", "Object", "Address", "Details"]}
        empty="No audit row matches."
        rows={rows.length}
        query={q as Record<string, string | undefined>}
        next={next}
      >
        {rows.map((a) => (
          <tr>
            <td>{a.seq}</td>
            <td>{formatTime(a.created_at)}</td>
            <td>{a.actor_type}{a.actor_id ? ` ${a.actor_id}` : ""}</td>
            <td>{a.action}</td>
            <td>{a.object_type ? `${a.object_type} ${a.object_id ?? ""}` : "—"}</td>
            <td>{a.ip ?? "—"}</td>
            <td><code>{JSON.stringify(a.details)}</code></td>
          </tr>
        ))}
      </ListView>
    </Layout>,
    problem?.status ?? 200,
  );
}

/** /app/audit/export?format=csv|ndjson and the page's filters: the whole filtered log, streamed. */
async function auditExport(c: Context<AppEnv>) {
  const format = c.req.query("format") === "ndjson" ? "ndjson" : "csv";
  const body = exportAudit(c.env.services, workspaceOf(c), filtersOf(c), format);
  return c.body(body, 200, exportHeaders(format));
}

export function registerAuditPages(app: PageRoutes) {
  app.get("/audit", auditPage);
  app.get("/audit/export", auditExport);
}
