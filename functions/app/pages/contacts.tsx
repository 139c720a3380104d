import type { Context } from "hono";
import { getContact } from "../../../lib/contacts/get.js";
import { listContacts } from "../../../lib/contacts/list.js";
import { listMessages } from "../../../lib/messages/read.js";
import type { AppEnv } from "../../env.js";
import type { PageRoutes } from "./routes.js";
import { displayPhone } from "./display-phone.js";
import { idParam, pageFacts, workspaceOf } from "./facts.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import { ListView, readPage } from "./list.js";
import { StatusBadge } from "./messages.js";
import { Field, Select, Table } from "./ui.js";
import { ExportRequestForm } from "./exports.js";
import { can } from "../../../lib/permissions/principal.js";
import { principalOf } from "../../middleware/permission.js";

async function contactsPage(c: Context<AppEnv>) {
  const facts = await pageFacts(c);
  const q = { q: c.req.query("q")?.trim() || undefined, tag: c.req.query("tag")?.trim() || undefined, opted_in: c.req.query("opted_in") || undefined };
  const { rows, next, problem } = await readPage(c, listContacts, q);
  const exporter = can(await principalOf(c), "exports:create");
  return c.html(
    <Layout facts={facts} title="Contacts" active="contacts">
      <ListView
        path="/app/contacts"
        label="Search contacts"
        submit="Search"
        filters={
          <>
            <Field form="search" name="q" label="Name or number" type="search" value={q.q} errors={problem?.errors} />
            <Field form="search" name="tag" label="Tag" value={q.tag} errors={problem?.errors} />
            <Select form="search" name="opted_in" label="Marketing consent" value={q.opted_in} options={[{ value: "", label: "any" }, { value: "true", label: "opted in" }, { value: "false", label: "not opted in" }]} />
          </>
        }
        problem={problem}
        caption="Newest first"
        head={["Name", "Number", "Tags", "Marketing", "Last message from them", "Added"]}
        empty="No contact matches."
        rows={rows.length}
        query={{ q: q.q, tag: q.tag, opted_in: q.opted_in }}
        next={next}
      >
        {rows.map((k) => (
          <tr>
            <td>
              <a href={`/app/contacts/${k.id}`}>{k.name ?? k.profile_name ?? "(no name)"}</a>
            </td>
            <td>{displayPhone(facts, k.wa_id)}</td>
            <td>{k.tags.join(", ")}</td>
            <td>{k.marketing_opt_out ? <span class="badge bad">opted out</span> : k.marketing_opt_in ? <span class="badge good">opted in</span> : "—"}</td>
            <td>{formatTime(k.last_inbound_at)}</td>
            <td>{formatTime(k.created_at)}</td>
          </tr>
        ))}
      </ListView>
      {exporter ? <ExportRequestForm csrf={facts.session.csrfToken} kind="contacts" tag={q.tag} optedIn={q.opted_in} /> : null}
    </Layout>,
    problem?.status ?? 200,
  );
}

async function contactPage(c: Context<AppEnv>) {
  const facts = await pageFacts(c);
  const ws = workspaceOf(c);
  const k = await getContact(c.env.services, ws, idParam(c));
  const recent = await listMessages(c.env.services, ws, { to: k.wa_id.value, limit: "20" });
  return c.html(
    <Layout facts={facts} title={k.name ?? k.profile_name ?? "Contact"} active="contacts">
      <dl class="facts">
        <dt>Number</dt>
        <dd>{displayPhone(facts, k.wa_id)}</dd>
        <dt>Name</dt>
        <dd>{k.name ?? "—"}</dd>
        <dt>WhatsApp profile name</dt>
        <dd>{k.profile_name ?? "—"}</dd>
        <dt>Tags</dt>
        <dd>{k.tags.length ? k.tags.join(", ") : "—"}</dd>
        <dt>Last message from them</dt>
        <dd>{formatTime(k.last_inbound_at)}</dd>
        <dt>Added</dt>
        <dd>{formatTime(k.created_at)}</dd>
      </dl>
      <Table caption="Attributes" head={["Name", "Value"]} empty="No attributes." rows={Object.keys(k.attributes).length}>
        {Object.entries(k.attributes).map(([name, value]) => (
          <tr>
            <td>{name}</td>
            <td>{String(value)}</td>
          </tr>
        ))}
      </Table>
      <Table caption="Marketing consent history" head={["When", "Change", "Source", "By"]} empty="No consent recorded." rows={k.consent_history.length}>
        {k.consent_history.map((h) => (
          <tr>
            <td>{formatTime(h.at)}</td>
            <td>{h.kind === "opt_in" ? "opted in" : "opted out"}</td>
            <td>{h.source}</td>
            <td>{h.actor.type}</td>
          </tr>
        ))}
      </Table>
      <Table caption="Recent messages to them" head={["Created", "Type", "Status", ""]} empty="No message sent to them yet." rows={recent.data.length}>
        {recent.data.map((m) => (
          <tr>
            <td>{formatTime(m.created_at)}</td>
            <td>{m.type}</td>
            <td>
              <StatusBadge status={m.status} />
            </td>
            <td>
              <a href={`/app/messages/${m.id}`}>History</a>
            </td>
          </tr>
        ))}
      </Table>
      <p>
        <a href="/app/contacts">All contacts</a>
      </p>
    </Layout>,
  );
}

/** /app/contacts: search (name, number, tag, consent; keyset pages) and one contact. */
export function registerContactPages(app: PageRoutes) {
  app.get("/contacts", contactsPage);
  app.get("/contacts/:id", contactPage);
}
