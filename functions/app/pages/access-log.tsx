import type { Context } from "hono";
import { listAccess, type AccessQuery } from "../../../lib/access/list.js";
import type { AppEnv } from "../../env.js";
import { counted } from "../../middleware/record-read.js";
import type { PageRoutes } from "./routes.js";
import { pageFacts } from "./facts.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import { ListView, readPage } from "./list.js";
import { Field } from "./ui.js";

const FILTERS = ["actor", "route", "since"] as const;

/** /app/audit/reads: who read personal data (lib/access), newest first, with the API's filters. */
async function readsPage(c: Context<AppEnv>) {
  const facts = await pageFacts(c);
  const q: AccessQuery = {};
  for (const k of FILTERS) q[k] = c.req.query(k)?.trim() || undefined;
  const { rows, next, problem } = await readPage(c, listAccess, q);
  counted(c, { data: rows });
  return c.html(
    <Layout facts={facts} title="Reads of personal data" active="audit">
      <p><a href="/app/audit">Back to the audit log</a></p>
      <ListView
        path="/app/audit/reads"
        label="Filter the reads"
        submit="Filter"
        filters={
          <>
            <Field form="reads" name="actor" label="Actor id" value={q.actor} errors={problem?.errors} />
            <Field form="reads" name="route" label="Route" value={q.route} hint="e.g. /v1/messages/:id" errors={problem?.errors} />
            <Field form="reads" name="since" label="Since" type="date" value={q.since} errors={problem?.errors} />
          </>
        }
        problem={problem}
        caption="Newest first: every read of messages, contacts, reports, downloads and the audit log"
        head={["When", "Actor", "Route", "Object", "Rows", "Status", "Address"]}
        empty="No read matches."
        rows={rows.length}
        query={q as Record<string, string | undefined>}
        next={next}
      >
        {rows.map((r) => (
          <tr>
            <td>{formatTime(r.at)}</td>
            <td>{r.actor_type} {r.actor_id}</td>
            <td>{r.method} {r.route}</td>
            <td>{r.object_id ?? "—"}</td>
            <td>{r.result_count ?? "—"}</td>
            <td>{r.status}</td>
            <td>{r.ip ?? "—"}</td>
          </tr>
        ))}
      </ListView>
    </Layout>,
    problem?.status ?? 200,
  );
}

export function registerAccessLogPage(app: PageRoutes) {
  app.get("/audit/reads", readsPage);
}
