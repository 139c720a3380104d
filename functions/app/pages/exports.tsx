import type { Context } from "hono";
import { decideExport } from "../../../lib/exports/decide.js";
import { downloadExport } from "../../../lib/exports/download.js";
import { listExports } from "../../../lib/exports/list.js";
import { ensureMayRead } from "../../../lib/exports/reads.js";
import { requesterOf } from "../../../lib/exports/requester.js";
import { requestExport } from "../../../lib/exports/request.js";
import { CreateExport } from "../../../lib/exports/schema.js";
import type { ExportView } from "../../../lib/exports/view.js";
import { validationFailed } from "../../../lib/errors.js";
import { fieldErrors } from "../../../lib/parse.js";
import { can } from "../../../lib/permissions/principal.js";
import * as v from "valibot";
import type { AppEnv } from "../../env.js";
import { principalOf } from "../../middleware/permission.js";
import { refuseForeignNavigation } from "../middleware/fetch-site.js";
import { sessionActor, sessionOf } from "../middleware/session.js";
import { idParam, pageFacts, workspaceOf } from "./facts.js";
import { redirectWithFlash } from "./flash.js";
import { attempt, readForm, type FormProblem } from "./form.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import type { PageRoutes } from "./routes.js";
import { CsrfField, PostButton, Problems, Select, Table } from "./ui.js";
import { currentThreshold, saveThreshold, ThresholdForm } from "./export-threshold.js";

const describe = (e: ExportView) => `${e.rows.toLocaleString("en")} ${e.kind} as ${e.format.toUpperCase()}${Object.keys(e.filter).length ? ` (${Object.entries(e.filter).map(([k, x]) => `${k}: ${String(x)}`).join(", ")})` : ""}`;

/** The request form: the contacts page offers it with its filters, this page with a choice of what. */
export function ExportRequestForm(p: { csrf: string; kind?: "contacts" | "messages"; tag?: string | undefined; optedIn?: string | undefined; problem?: FormProblem | undefined }) {
  return (
    <form method="post" action="/app/exports" class="card" aria-labelledby="request-export">
      <h2 id="request-export">Export</h2>
      <p>Up to the workspace's threshold the file is made at once; above it, an owner approves it first. It is downloaded once, by you, within 24 hours.</p>
      <Problems message={p.problem?.message} errors={p.problem?.errors} />
      <CsrfField token={p.csrf} />
      {p.kind ? <input type="hidden" name="kind" value={p.kind} /> : <Select form="export" name="kind" label="What" options={[{ value: "contacts", label: "Contacts" }, { value: "messages", label: "Messages" }]} />}
      <Select form="export" name="format" label="Format" options={[{ value: "csv", label: "CSV" }, { value: "jsonl", label: "JSON lines" }]} />
      {p.tag ? <input type="hidden" name="tag" value={p.tag} /> : null}
      {p.optedIn ? <input type="hidden" name="opted_in" value={p.optedIn} /> : null}
      <button type="submit">Request export</button>
    </form>
  );
}

async function exportsPage(c: Context<AppEnv>, problem?: FormProblem) {
  const facts = await pageFacts(c);
  const p = await principalOf(c);
  const ws = workspaceOf(c);
  const csrf = facts.session.csrfToken;
  const approver = can(p, "approvals:write");
  const all = (await listExports(c.env.services, ws, { limit: "200" })).data;
  const threshold = approver ? await currentThreshold(c) : null;
  const pending = all.filter((e) => e.status === "pending_approval");
  const mine = all.filter((e) => e.requested_by.type === "user" && e.requested_by.id === facts.session.userId);
  // Approved by an owner (not at once within the threshold): who approved, and whether it was their own.
  const approved = all.filter((e) => e.decided_by !== null && e.status !== "denied");
  const who = (id: string) => (id === facts.session.userId ? "you" : `member ${id}`);
  c.header("Cache-Control", "no-store");
  return c.html(
    <Layout facts={facts} title="Exports" active="exports">
      <ExportRequestForm csrf={csrf} problem={problem} />
      {threshold !== null ? <ThresholdForm csrf={csrf} threshold={threshold} /> : null}
      {approver ? (
        <Table caption="Waiting for your approval" head={["Asked", "What", "By", ""]} empty="No export is waiting for approval." rows={pending.length}>
          {pending.map((e) => (
            <tr>
              <td>{formatTime(e.created_at)}</td>
              <td>{describe(e)}</td>
              <td>{e.requested_by.type === "api_key" ? `API key ${e.requested_by.id}` : e.requested_by.id === facts.session.userId ? "you" : `member ${e.requested_by.id}`}</td>
              <td>
                <PostButton action={`/app/exports/${e.id}/approve`} csrf={csrf} label="Approve" accessibleLabel={`Approve export ${e.id}`} />
                <PostButton action={`/app/exports/${e.id}/deny`} csrf={csrf} label="Deny" danger accessibleLabel={`Deny export ${e.id}`} />
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
      {approved.length ? (
        <Table caption="Approved above the threshold" head={["Asked", "What", "By", "Approved by", "Status"]} empty="" rows={approved.length}>
          {approved.map((e) => (
            <tr>
              <td>{formatTime(e.created_at)}</td>
              <td>{describe(e)}</td>
              <td>{e.requested_by.type === "api_key" ? `API key ${e.requested_by.id}` : who(e.requested_by.id)}</td>
              <td>
                {who(e.decided_by!)} {e.self_approved ? <span class="badge bad">self-approved</span> : null}
              </td>
              <td>{e.status.replace("_", " ")}</td>
            </tr>
          ))}
        </Table>
      ) : null}
      <Table caption="Your exports" head={["Asked", "What", "Status", "Expires", ""]} empty="You have not asked for an export." rows={mine.length}>
        {mine.map((e) => (
          <tr>
            <td>{formatTime(e.created_at)}</td>
            <td>{describe(e)}</td>
            <td>
              {e.status.replace("_", " ")} {e.self_approved ? <span class="badge bad">self-approved</span> : null}
            </td>
            <td>{formatTime(e.expires_at)}</td>
            <td>{e.status === "ready" ? <a href={`/app/exports/${e.id}/download`}>Download (once)</a> : null}</td>
          </tr>
        ))}
      </Table>
    </Layout>,
    problem?.status ?? 200,
  );
}

/** The form's fields as POST /v1/exports's body: the same schema decides. */
function formInput(f: Awaited<ReturnType<typeof readForm>>) {
  const kind = f.text("kind") ?? "contacts";
  const filter: Record<string, unknown> = {};
  const tag = f.text("tag");
  const optedIn = f.text("opted_in");
  if (tag && kind === "contacts") filter.tag = tag;
  if (optedIn && kind === "contacts") filter.opted_in = optedIn === "true";
  const r = v.safeParse(CreateExport, { kind, format: f.text("format") ?? "csv", filter });
  if (!r.success) throw validationFailed(fieldErrors(r.issues), "The export cannot be asked for like this");
  return r.output;
}

/** /app/exports: ask for an export, see and download your own; owners approve or deny those above the threshold. */
export function registerExportPages(app: PageRoutes) {
  app.get("/exports", (c) => exportsPage(c));
  app.post("/exports", async (c) => {
    const form = await readForm(c);
    const p = await principalOf(c);
    const r = await attempt(async () => {
      const input = formInput(form);
      ensureMayRead(p, input.kind);
      return requestExport(c.env.services, workspaceOf(c), input, requesterOf(p), sessionActor(c));
    });
    if (!r.ok) return exportsPage(c, r.problem);
    return redirectWithFlash(c, "/app/exports", r.value.status === "pending_approval" ? "export_pending" : "export_requested");
  });
  app.get("/exports/:id/download", async (c) => {
    refuseForeignNavigation(c, "download link");
    const d = await downloadExport(c.env.services, workspaceOf(c), idParam(c), await principalOf(c), sessionActor(c));
    return c.body(d.body, 200, { "content-type": d.contentType, "content-disposition": `attachment; filename="${d.filename}"`, "cache-control": "no-store" });
  });
  app.post("/exports/threshold", async (c) => {
    const form = await readForm(c);
    const r = await attempt(() => saveThreshold(c, form));
    return r.ok ? redirectWithFlash(c, "/app/exports", "export_threshold_set") : exportsPage(c, r.problem);
  });
  for (const verb of ["approve", "deny"] as const) {
    app.post(`/exports/:id/${verb}`, async (c) => {
      await decideExport(c.env.services, workspaceOf(c), idParam(c), verb, { userId: sessionOf(c).userId }, sessionActor(c));
      return redirectWithFlash(c, "/app/exports", verb === "approve" ? "export_approved" : "export_denied");
    });
  }
}
