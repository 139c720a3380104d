import type { Context } from "hono";
import { listAttempts } from "../../../lib/webhooks/attempts.js";
import { EVENT_TYPES } from "../../../lib/webhooks/emit.js";
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, rotateSecret, updateEndpoint } from "../../../lib/webhooks/endpoints.js";
import { parseCreate, parsePage, WEBHOOK_FORMATS } from "../../../lib/webhooks/schema.js";
import type { AppEnv } from "../../env.js";
import type { PageRoutes } from "./routes.js";
import { sessionActor } from "../middleware/session.js";
import { idParam, pageFacts, workspaceOf } from "./facts.js";
import { redirectWithFlash } from "./flash.js";
import { attempt, readForm, type FormFields, type FormProblem } from "./form.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import { CsrfField, Field, Pager, PostButton, Problems, Table } from "./ui.js";

type Created = { id: string; url: string; secret: string };

/** A form's endpoint as the API's JSON body, so it goes through the API's own schema and URL check. */
function endpointBody(form: FormFields) {
  const events = form.list("events");
  return { url: form.text("url") ?? "", ...(events.length ? { events } : {}), ...(form.text("description") ? { description: form.text("description") } : {}), format: form.text("format") ?? "standard" };
}

async function listPage(c: Context<AppEnv>, shown: { created?: Created; problem?: FormProblem; typed?: ReturnType<typeof endpointBody> } = {}) {
  const facts = await pageFacts(c);
  const page = await listEndpoints(c.env.services, workspaceOf(c), parsePage({ cursor: c.req.query("cursor"), limit: "50" }));
  const errors = shown.problem?.errors;
  const typed = shown.typed;
  if (shown.created) c.header("Cache-Control", "no-store");
  return c.html(
    <Layout facts={facts} title="Webhooks" active="webhooks">
      {shown.created ? <SecretOnce title={`Signing secret for ${shown.created.url}`} secret={shown.created.secret} detail={`/app/webhooks/${shown.created.id}`} /> : null}
      <Table caption="Endpoints" head={["URL", "Events", "Format", "State", "Failing since"]} empty="No webhook endpoint yet." rows={page.data.length}>
        {page.data.map((e) => (
          <tr>
            <td>
              <a href={`/app/webhooks/${e.id}`}>{e.url}</a>
              {e.description ? <div class="muted">{e.description}</div> : null}
            </td>
            <td>{e.events ? e.events.join(", ") : "every event"}</td>
            <td>{e.format}</td>
            <td>{e.enabled ? <span class="badge good">enabled</span> : <span class="badge bad">disabled{e.disabled_reason ? `: ${e.disabled_reason}` : ""}</span>}</td>
            <td>{formatTime(e.failing_since)}</td>
          </tr>
        ))}
      </Table>
      <Pager path="/app/webhooks" query={{}} next={page.next_cursor} />
      <form method="post" action="/app/webhooks" class="card" aria-labelledby="add-endpoint">
        <h2 id="add-endpoint">Add an endpoint</h2>
        <Problems message={shown.problem?.message} errors={errors} />
        <CsrfField token={facts.session.csrfToken} />
        <Field form="endpoint" name="url" label="URL" type="url" value={typed?.url} required hint="https, reachable from the internet" errors={errors} />
        <Field form="endpoint" name="description" label="Description (optional)" value={typed?.description} maxlength={500} errors={errors} />
        <fieldset>
          <legend>Events (none ticked: every event, including ones added later)</legend>
          {EVENT_TYPES.map((t) => (
            <label class="check">
              <input type="checkbox" name="events" value={t} checked={typed?.events?.includes(t)} /> {t}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Format</legend>
          {WEBHOOK_FORMATS.map((f) => (
            <label class="check">
              <input type="radio" name="format" value={f} checked={(typed?.format ?? "standard") === f} /> {f === "standard" ? "Standard Webhooks" : "Meta's own envelope"}
            </label>
          ))}
        </fieldset>
        <button type="submit">Add endpoint</button>
      </form>
    </Layout>,
    shown.problem?.status ?? (shown.created ? 201 : 200),
  );
}

function SecretOnce({ title, secret, detail }: { title: string; secret: string; detail?: string }) {
  return (
    <section class="card" aria-labelledby="secret-once">
      <h2 id="secret-once">{title}</h2>
      <p>Copy it now: this is the only time it is shown. Receivers verify each delivery's signature with it.</p>
      <p class="secret" aria-label="The signing secret">
        {secret}
      </p>
      {detail ? (
        <p>
          <a href={detail}>Go to the endpoint</a>
        </p>
      ) : null}
    </section>
  );
}

async function detailPage(c: Context<AppEnv>, rotated?: { secret: string; previousExpiresAt: string }) {
  const facts = await pageFacts(c);
  const ws = workspaceOf(c);
  const id = idParam(c);
  const endpoint = await getEndpoint(c.env.services, ws, id);
  const attempts = await listAttempts(c.env.services, ws, id, parsePage({ cursor: c.req.query("cursor"), limit: "25" }));
  const csrf = facts.session.csrfToken;
  if (rotated) c.header("Cache-Control", "no-store");
  return c.html(
    <Layout facts={facts} title="Webhook endpoint" active="webhooks">
      {rotated ? <SecretOnce title="New signing secret" secret={rotated.secret} /> : null}
      {rotated ? <p>The previous secret keeps signing until {formatTime(rotated.previousExpiresAt)}.</p> : null}
      <dl class="facts">
        <dt>URL</dt>
        <dd>{endpoint.url}</dd>
        <dt>Description</dt>
        <dd>{endpoint.description ?? "—"}</dd>
        <dt>Events</dt>
        <dd>{endpoint.events ? endpoint.events.join(", ") : "every event"}</dd>
        <dt>Format</dt>
        <dd>{endpoint.format}</dd>
        <dt>State</dt>
        <dd>{endpoint.enabled ? "enabled" : `disabled${endpoint.disabled_reason ? `: ${endpoint.disabled_reason}` : ""}`}</dd>
        <dt>Failing since</dt>
        <dd>{formatTime(endpoint.failing_since)}</dd>
        <dt>Created</dt>
        <dd>{formatTime(endpoint.created_at)}</dd>
      </dl>
      <p>
        <PostButton action={`/app/webhooks/${endpoint.id}/${endpoint.enabled ? "disable" : "enable"}`} csrf={csrf} label={endpoint.enabled ? "Disable" : "Enable"} />{" "}
        <PostButton action={`/app/webhooks/${endpoint.id}/rotate-secret`} csrf={csrf} label="Rotate signing secret" />{" "}
        <PostButton action={`/app/webhooks/${endpoint.id}/delete`} csrf={csrf} label="Delete" danger accessibleLabel={`Delete endpoint ${endpoint.url}`} />
      </p>
      <Table caption="Recent attempts" head={["When", "Event", "Attempt", "Answer", "Time", "Response / error"]} empty="No delivery attempted yet." rows={attempts.data.length}>
        {attempts.data.map((a) => (
          <tr>
            <td>{formatTime(a.attempted_at)}</td>
            <td>{a.event_type}</td>
            <td class="num">{a.attempt}</td>
            <td>{a.succeeded ? <span class="badge good">{a.status_code}</span> : <span class="badge bad">{a.status_code ?? "no answer"}</span>}</td>
            <td class="num">{a.duration_ms} ms</td>
            <td>
              <code>{a.error ?? a.response_body ?? ""}</code>
            </td>
          </tr>
        ))}
      </Table>
      <Pager path={`/app/webhooks/${endpoint.id}`} query={{}} next={attempts.next_cursor} />
    </Layout>,
  );
}

/** /app/webhooks: endpoints (the secret shown on the creating answer only), one endpoint with its attempts. */
export function registerWebhookPages(app: PageRoutes) {
  app.get("/webhooks", (c) => listPage(c));
  app.post("/webhooks", async (c) => {
    const typed = endpointBody(await readForm(c));
    const r = await attempt(() => createEndpoint(c.env.services, workspaceOf(c), parseCreate(JSON.stringify(typed), c.env.services.config.env), sessionActor(c)));
    return r.ok ? listPage(c, { created: { id: r.value.id, url: r.value.url, secret: r.value.secret } }) : listPage(c, { problem: r.problem, typed });
  });
  app.get("/webhooks/:id", (c) => detailPage(c));
  for (const [verb, enabled] of [["enable", true], ["disable", false]] as const) {
    app.post(`/webhooks/:id/${verb}`, async (c) => {
      const id = idParam(c);
      await updateEndpoint(c.env.services, workspaceOf(c), id, { enabled }, sessionActor(c));
      return redirectWithFlash(c, `/app/webhooks/${id}`, "webhook_updated");
    });
  }
  app.post("/webhooks/:id/rotate-secret", async (c) => {
    const r = await rotateSecret(c.env.services, workspaceOf(c), idParam(c), sessionActor(c));
    return detailPage(c, { secret: r.secret, previousExpiresAt: r.previous_secret_expires_at });
  });
  app.post("/webhooks/:id/delete", async (c) => {
    await deleteEndpoint(c.env.services, workspaceOf(c), idParam(c), sessionActor(c));
    return redirectWithFlash(c, "/app/webhooks", "webhook_deleted");
  });
}
