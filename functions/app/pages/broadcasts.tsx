import type { Context } from "hono";
import { cancelBroadcast } from "../../../lib/broadcasts/cancel.js";
import { createBroadcast } from "../../../lib/broadcasts/create.js";
import { getBroadcast, listBroadcasts } from "../../../lib/broadcasts/get.js";
import { pauseBroadcast } from "../../../lib/broadcasts/pause.js";
import { resumeBroadcast } from "../../../lib/broadcasts/resume.js";
import { CreateBroadcast } from "../../../lib/broadcasts/schema.js";
import { validationFailed } from "../../../lib/errors.js";
import { parseJsonBody } from "../../../lib/parse.js";
import { listTemplates } from "../../../lib/templates/list.js";
import { listNumbers } from "../../../lib/whatsapp/list.js";
import { getWorkspaceSettings } from "../../../lib/workspaces/workspaces.js";
import { instantOfLocal, workspaceTimezone } from "../../../lib/workspaces/timezone.js";
import type { AppEnv } from "../../env.js";
import type { PageRoutes } from "./routes.js";
import { displayBusinessPhone } from "./display-phone.js";
import { sessionActor } from "../middleware/session.js";
import { idParam, pageFacts, workspaceOf } from "./facts.js";
import { redirectWithFlash, type FlashCode } from "./flash.js";
import { attempt, readForm, type FormFields, type FormProblem } from "./form.js";
import { formatCount, formatTime } from "./format.js";
import { Layout } from "./layout.js";
import { CsrfField, Field, Pager, PostButton, Problems, Select, Table } from "./ui.js";

const BroadcastStatus = ({ status }: { status: string }) => <span class={`badge${status === "completed" ? " good" : status === "canceled" ? " bad" : ""}`}>{status}</span>;

interface Typed {
  name?: string | undefined;
  from?: string | undefined;
  template?: string | undefined;
  audience?: string | undefined;
  tag?: string | undefined;
  send_at?: string | undefined;
}
const typedOf = (f: FormFields): Typed => ({ name: f.text("name"), from: f.text("from"), template: f.text("template"), audience: f.text("audience"), tag: f.text("tag"), send_at: f.text("send_at") });

/** The form as POST /v1/broadcasts's body: the template is "name|language", send_at a wall-clock time in the workspace's zone. */
function broadcastBody(t: Typed, tz: string) {
  const [name, language] = (t.template ?? "").split("|");
  if (t.send_at !== undefined && !/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(t.send_at)) throw validationFailed([{ field: "send_at", message: "must be a date and time" }], "The broadcast is not valid");
  const body = {
    name: t.name ?? "",
    ...(t.from ? { from: t.from } : {}),
    template: { name: name ?? "", language: { code: language ?? "" } },
    audience: t.audience === "tag" ? { tag: t.tag ?? "" } : { all: true },
    ...(t.send_at ? { send_at: instantOfLocal(t.send_at, tz).toISOString() } : {}),
  };
  return parseJsonBody(CreateBroadcast, JSON.stringify(body));
}

async function listPage(c: Context<AppEnv>, problem?: FormProblem, typed: Typed = {}) {
  const facts = await pageFacts(c);
  const s = c.env.services;
  const ws = workspaceOf(c);
  const [page, numbers, templates, settings] = await Promise.all([
    listBroadcasts(s, ws, { cursor: c.req.query("cursor") || undefined, limit: "50" }),
    listNumbers(s, ws),
    listTemplates(s, ws, { status: "APPROVED" }),
    getWorkspaceSettings(s, ws),
  ]);
  const tz = workspaceTimezone(settings);
  const errors = problem?.errors;
  return c.html(
    <Layout facts={facts} title="Broadcasts" active="broadcasts">
      <Table caption="Newest first" head={["Name", "Template", "Status", "Send at", "Finished"]} empty="No broadcast yet." rows={page.data.length}>
        {page.data.map((b) => (
          <tr>
            <td>
              <a href={`/app/broadcasts/${b.id}`}>{b.name}</a>
            </td>
            <td>
              {b.template.name} ({b.template.language.code})
            </td>
            <td>
              <BroadcastStatus status={b.status} />
            </td>
            <td>{formatTime(b.send_at)}</td>
            <td>{formatTime(b.finished_at)}</td>
          </tr>
        ))}
      </Table>
      <Pager path="/app/broadcasts" query={{}} next={page.next_cursor} />
      <form method="post" action="/app/broadcasts" class="card" aria-labelledby="new-broadcast">
        <h2 id="new-broadcast">New broadcast</h2>
        <Problems message={problem?.message} errors={errors} />
        <CsrfField token={facts.session.csrfToken} />
        <Field form="broadcast" name="name" label="Name" value={typed.name} required maxlength={256} errors={errors} />
        <Select form="broadcast" name="from" label="From" value={typed.from} options={[{ value: "", label: "the workspace's number" }, ...numbers.map((n) => ({ value: n.phone_number_id, label: `${displayBusinessPhone(n.display_number)} (${n.phone_number_id})` }))]} />
        <Select form="broadcast" name="template" label="Template" value={typed.template} options={templates.data.map((t) => ({ value: `${t.name}|${t.language}`, label: `${t.name} (${t.language}, ${t.category ?? "no category"})` }))} hint="Approved templates without placeholders to fill" />
        <fieldset>
          <legend>Audience</legend>
          <label class="check">
            <input type="radio" name="audience" value="all" checked={typed.audience !== "tag"} /> every contact who may receive it
          </label>
          <label class="check">
            <input type="radio" name="audience" value="tag" checked={typed.audience === "tag"} /> contacts with the tag below
          </label>
          <Field form="broadcast" name="tag" label="Tag" value={typed.tag} maxlength={64} errors={errors} />
        </fieldset>
        <Field form="broadcast" name="send_at" label="Send at (optional)" type="datetime-local" value={typed.send_at} hint={`in ${tz}; empty: now`} errors={errors} />
        <button type="submit">Create broadcast</button>
      </form>
    </Layout>,
    problem?.status ?? 200,
  );
}

async function detailPage(c: Context<AppEnv>) {
  const facts = await pageFacts(c);
  const b = await getBroadcast(c.env.services, workspaceOf(c), idParam(c));
  const csrf = facts.session.csrfToken;
  const n = b.counts;
  const tiles = [
    ["Targeted", n.targeted],
    ["Queued", n.queued],
    ["Waiting for the tier", n.waiting_for_tier],
    ["Sent", n.sent],
    ["Delivered", n.delivered],
    ["Read", n.read],
    ["Failed", n.failed],
    ["Canceled", n.canceled],
  ] as const;
  const skipped = Object.entries(n.skipped);
  return c.html(
    <Layout facts={facts} title={`Broadcast ${b.name}`} active="broadcasts">
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <BroadcastStatus status={b.status} />
        </dd>
        <dt>Template</dt>
        <dd>
          {b.template.name} ({b.template.language.code}, {b.category ?? "no category"})
        </dd>
        <dt>Audience</dt>
        <dd>{"tag" in b.audience ? `tag ${b.audience.tag}` : "contact_ids" in b.audience ? `${formatCount(b.audience.contact_ids.length)} contacts` : "every contact"}</dd>
        <dt>Send at</dt>
        <dd>{formatTime(b.send_at)}</dd>
        <dt>Started</dt>
        <dd>{formatTime(b.started_at)}</dd>
        <dt>Finished</dt>
        <dd>{formatTime(b.finished_at)}</dd>
        <dt>Cost</dt>
        <dd>
          {n.cost.currency ? `${n.cost.amount} ${n.cost.currency}` : n.cost.amount} ({formatCount(n.cost.billable)} billable{n.cost.unpriced ? `, ${formatCount(n.cost.unpriced)} not priced` : ""})
        </dd>
      </dl>
      <h2 id="counts">
        Counts <a href={`/app/broadcasts/${b.id}`}>(refresh)</a>
      </h2>
      <ul class="tiles" aria-labelledby="counts">
        {tiles.map(([label, v]) => (
          <li>
            <span class="n">{formatCount(v)}</span>
            {label}
          </li>
        ))}
      </ul>
      {skipped.length ? (
        <Table caption="Skipped" head={["Why", "Contacts"]} empty="" rows={skipped.length}>
          {skipped.map(([why, count]) => (
            <tr>
              <td>{why}</td>
              <td class="num">{formatCount(count)}</td>
            </tr>
          ))}
        </Table>
      ) : null}
      <p>
        {b.status === "scheduled" || b.status === "running" ? <PostButton action={`/app/broadcasts/${b.id}/pause`} csrf={csrf} label="Pause" /> : null}{" "}
        {b.status === "paused" ? <PostButton action={`/app/broadcasts/${b.id}/resume`} csrf={csrf} label="Resume" /> : null}{" "}
        {b.status === "scheduled" || b.status === "running" || b.status === "paused" ? <PostButton action={`/app/broadcasts/${b.id}/cancel`} csrf={csrf} label="Cancel" danger accessibleLabel={`Cancel broadcast ${b.name}`} /> : null}
      </p>
      <p>
        <a href="/app/broadcasts">All broadcasts</a>
      </p>
    </Layout>,
  );
}

const TRANSITIONS = [
  ["pause", pauseBroadcast, "broadcast_paused"],
  ["resume", resumeBroadcast, "broadcast_resumed"],
  ["cancel", cancelBroadcast, "broadcast_canceled"],
] as const satisfies readonly (readonly [string, typeof pauseBroadcast | typeof resumeBroadcast | typeof cancelBroadcast, FlashCode])[];

/** /app/broadcasts: list, create (template, audience, when), one broadcast with its live counts, pause/resume/cancel. */
export function registerBroadcastPages(app: PageRoutes) {
  app.get("/broadcasts", (c) => listPage(c));
  app.post("/broadcasts", async (c) => {
    const typed = typedOf(await readForm(c));
    const ws = workspaceOf(c);
    const r = await attempt(async () => {
      const tz = workspaceTimezone(await getWorkspaceSettings(c.env.services, ws));
      return createBroadcast(c.env.services, ws, broadcastBody(typed, tz), sessionActor(c));
    });
    return r.ok ? c.redirect(`/app/broadcasts/${r.value.id}`, 303) : listPage(c, r.problem, typed);
  });
  app.get("/broadcasts/:id", detailPage);
  for (const [verb, fn, flash] of TRANSITIONS) {
    app.post(`/broadcasts/:id/${verb}`, async (c) => {
      const id = idParam(c);
      await fn(c.env.services, workspaceOf(c), id, sessionActor(c));
      return redirectWithFlash(c, `/app/broadcasts/${id}`, flash);
    });
  }
}
