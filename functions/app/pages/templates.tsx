import type { Context } from "hono";
import { getTemplate } from "../../../lib/templates/get.js";
import { listTemplates } from "../../../lib/templates/list.js";
import { syncTemplates } from "../../../lib/templates/sync.js";
import { CATEGORIES } from "../../../lib/templates/schema.js";
import type { AppEnv } from "../../env.js";
import type { PageRoutes } from "./routes.js";
import { sessionActor } from "../middleware/session.js";
import { idParam, pageFacts, workspaceOf } from "./facts.js";
import { redirectWithFlash } from "./flash.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import { ListView, readList } from "./list.js";
import { PostButton, Select } from "./ui.js";

const STATUSES = ["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"];

const TemplateStatus = ({ status }: { status: string }) => <span class={`badge${status === "APPROVED" ? " good" : status === "REJECTED" || status === "DISABLED" ? " bad" : ""}`}>{status}</span>;

async function templatesPage(c: Context<AppEnv>) {
  const facts = await pageFacts(c);
  const q = { status: c.req.query("status") || undefined, category: c.req.query("category") || undefined };
  const { rows, problem } = await readList(() => listTemplates(c.env.services, workspaceOf(c), q));
  return c.html(
    <Layout facts={facts} title="Templates" active="templates">
      <ListView
        path="/app/templates"
        label="Filter templates"
        submit="Filter"
        filters={
          <>
            <Select form="filter" name="status" label="Status" value={q.status} options={[{ value: "", label: "any" }, ...STATUSES.map((s) => ({ value: s, label: s }))]} />
            <Select form="filter" name="category" label="Category" value={q.category} options={[{ value: "", label: "any" }, ...CATEGORIES.map((s) => ({ value: s, label: s }))]} />
          </>
        }
        problem={problem}
        actions={
          <p>
            <PostButton action="/app/templates/sync" csrf={facts.session.csrfToken} label="Sync from Meta" /> <span class="muted">Reads every template of the workspace's WhatsApp Business Accounts from Meta.</span>
          </p>
        }
        caption="Message templates, by name"
        head={["Name", "Language", "Category", "Status", "Quality", "WABA", "Updated"]}
        empty="No template. Sync them from Meta with POST /v1/templates/sync."
        rows={rows.length}
      >
        {rows.map((t) => (
          <tr>
            <td>
              <a href={`/app/templates/${t.id}`}>{t.name}</a>
            </td>
            <td>{t.language}</td>
            <td>{t.category ?? "—"}</td>
            <td>
              <TemplateStatus status={t.status} />
            </td>
            <td>{t.quality ?? "—"}</td>
            <td>
              <code>{t.waba_id}</code>
            </td>
            <td>{formatTime(t.updated_at)}</td>
          </tr>
        ))}
      </ListView>
    </Layout>,
    problem?.status ?? 200,
  );
}

async function templatePage(c: Context<AppEnv>) {
  const facts = await pageFacts(c);
  const t = await getTemplate(c.env.services, workspaceOf(c), idParam(c));
  return c.html(
    <Layout facts={facts} title={`Template ${t.name}`} active="templates">
      <dl class="facts">
        <dt>Name</dt>
        <dd>{t.name}</dd>
        <dt>Language</dt>
        <dd>{t.language}</dd>
        <dt>Category</dt>
        <dd>{t.category ?? "—"}</dd>
        <dt>Status</dt>
        <dd>
          <TemplateStatus status={t.status} />
        </dd>
        {t.rejected_reason ? (
          <>
            <dt>Rejected because</dt>
            <dd>{t.rejected_reason}</dd>
          </>
        ) : null}
        <dt>Quality</dt>
        <dd>{t.quality ?? "—"}</dd>
        <dt>WABA</dt>
        <dd>
          <code>{t.waba_id}</code>
        </dd>
        <dt>Meta's id</dt>
        <dd>{t.meta_id ? <code>{t.meta_id}</code> : "—"}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(t.updated_at)}</dd>
      </dl>
      <h2>Components</h2>
      <pre>{JSON.stringify(t.components, null, 2)}</pre>
      <p>
        <a href="/app/templates">All templates</a>
      </p>
    </Layout>,
  );
}

/** /app/templates: the catalogue as Meta reports it (synced from Meta on demand), and one template's components. */
export function registerTemplatePages(app: PageRoutes) {
  app.get("/templates", templatesPage);
  app.get("/templates/:id", templatePage);
  app.post("/templates/sync", async (c) => {
    await syncTemplates(c.env.services, workspaceOf(c), undefined, sessionActor(c));
    return redirectWithFlash(c, "/app/templates", "templates_synced");
  });
}
