import type { Context } from "hono";
import { listApiKeys } from "../../../lib/apikeys/list.js";
import { createApiKey, revokeApiKey, type CreatedKey } from "../../../lib/apikeys/manage.js";
import { notFound, validationFailed } from "../../../lib/errors.js";
import { UUID_PATTERN } from "../../../lib/ids.js";
import type { AppEnv } from "../../env.js";
import type { PageRoutes } from "./routes.js";
import { sessionActor } from "../middleware/session.js";
import { idParam, pageFacts, workspaceOf } from "./facts.js";
import { redirectWithFlash } from "./flash.js";
import { attempt, readForm, type FormProblem } from "./form.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import { CsrfField, Field, PostButton, Problems, Table } from "./ui.js";

async function keysPage(c: Context<AppEnv>, shown?: { created?: CreatedKey; problem?: FormProblem; name?: string | undefined }) {
  const facts = await pageFacts(c);
  const keys = await listApiKeys(c.env.services, workspaceOf(c));
  const csrf = facts.session.csrfToken;
  if (shown?.created) c.header("Cache-Control", "no-store");
  return c.html(
    <Layout facts={facts} title="API keys" active="keys">
      {shown?.created ? (
        <section class="card" aria-labelledby="new-key">
          <h2 id="new-key">New key “{shown.created.name}”</h2>
          <p>Copy it now: this is the only time it is shown. Sandesh keeps only its hash.</p>
          <p class="secret" aria-label="The new API key">
            {shown.created.key}
          </p>
        </section>
      ) : null}
      <form method="post" action="/app/keys" class="card" aria-labelledby="create-key">
        <h2 id="create-key">Create a key</h2>
        <Problems message={shown?.problem?.message} errors={shown?.problem?.errors} />
        <CsrfField token={csrf} />
        <Field form="key" name="name" label="Name" value={shown?.problem ? shown.name : ""} required maxlength={100} hint="What the key is for, e.g. crm-sync" errors={shown?.problem?.errors} />
        <button type="submit">Create key</button>
      </form>
      <Table caption="Keys" head={["Name", "Prefix", "Scopes", "Created", "Last used", "State", ""]} empty="No keys yet." rows={keys.length}>
        {keys.map((k) => (
          <tr>
            <td>{k.name}</td>
            <td>
              <code>{k.prefix}…</code>
            </td>
            <td>{k.scopes ? k.scopes.join(", ") : "full access"}</td>
            <td>{formatTime(k.created_at)}</td>
            <td>{formatTime(k.last_used_at)}</td>
            <td>{k.revoked_at ? <span class="badge bad">revoked {formatTime(k.revoked_at)}</span> : <span class="badge good">active</span>}</td>
            <td>{k.revoked_at ? null : <PostButton action={`/app/keys/${k.id}/revoke`} csrf={csrf} label="Revoke" danger accessibleLabel={`Revoke key ${k.name}`} />}</td>
          </tr>
        ))}
      </Table>
    </Layout>,
    shown?.problem?.status ?? (shown?.created ? 201 : 200),
  );
}

/** /app/keys: list, create (the key is on the answer to the POST, once, never stored), revoke. */
export function registerKeyPages(app: PageRoutes) {
  app.get("/keys", (c) => keysPage(c));
  app.post("/keys", async (c) => {
    const form = await readForm(c);
    const name = form.text("name");
    const r = await attempt(async () => {
      if (!name) throw validationFailed([{ field: "name", message: "is required" }], "The key needs a name");
      if (name.length > 100) throw validationFailed([{ field: "name", message: "must be at most 100 characters" }], "The name is too long");
      return createApiKey(c.env.services, workspaceOf(c), name, sessionActor(c));
    });
    // The key is shown on this answer and nowhere else: a redirect would have to carry it.
    return r.ok ? keysPage(c, { created: r.value }) : keysPage(c, { problem: r.problem, name });
  });
  app.post("/keys/:id/revoke", async (c) => {
    const id = idParam(c);
    if (!UUID_PATTERN.test(id)) throw notFound("API key");
    const { alreadyRevoked } = await revokeApiKey(c.env.services, workspaceOf(c), id, sessionActor(c));
    return redirectWithFlash(c, "/app/keys", alreadyRevoked ? "key_already_revoked" : "key_revoked");
  });
}
