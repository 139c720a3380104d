import type { Context } from "hono";
import { validationFailed } from "../../../lib/errors.js";
import type { FieldError } from "../../../lib/storable.js";
import { listNumbers } from "../../../lib/whatsapp/list.js";
import { connectNumber, type NumberView } from "../../../lib/whatsapp/numbers.js";
import type { AppEnv } from "../../env.js";
import type { PageRoutes } from "./routes.js";
import { displayBusinessPhone } from "./display-phone.js";
import { sessionActor } from "../middleware/session.js";
import { pageFacts, workspaceOf } from "./facts.js";
import { redirectWithFlash } from "./flash.js";
import { attempt, readForm, type FormProblem } from "./form.js";
import { Layout } from "./layout.js";
import { CsrfField, Field, Problems, Table } from "./ui.js";

const TIERS: Record<string, string> = { TIER_50: "50 / day", TIER_250: "250 / day", TIER_1K: "1,000 / day", TIER_10K: "10,000 / day", TIER_100K: "100,000 / day", TIER_UNLIMITED: "unlimited" };
export const tierLabel = (tier: string) => TIERS[tier] ?? tier;

/** The numbers' health as Sandesh knows it: tier, throughput, and whether the token still works. */
export function NumbersTable({ numbers, caption }: { numbers: NumberView[]; caption: string }) {
  return (
    <Table caption={caption} head={["Number", "Phone-number id", "WABA", "Quality", "Messaging tier", "Throughput", "Token"]} empty="No number is connected yet." rows={numbers.length}>
      {numbers.map((n) => (
        <tr>
          <td>{displayBusinessPhone(n.display_number)}</td>
          <td>
            <code>{n.phone_number_id}</code>
          </td>
          <td>
            <code>{n.waba_id}</code>
          </td>
          {/* Meta's quality rating reaches Sandesh only in a webhook it does not record yet. */}
          <td class="muted">not reported</td>
          <td>{tierLabel(n.messaging_tier)}</td>
          <td class="num">{n.throughput_mps} msg/s</td>
          <td>{n.token_status === "active" ? <span class="badge good">active</span> : <span class="badge bad">needs a new token</span>}</td>
        </tr>
      ))}
    </Table>
  );
}

interface Typed {
  phoneNumberId?: string | undefined;
  wabaId?: string | undefined;
  displayNumber?: string | undefined;
  throughput?: string | undefined;
}

async function numbersPage(c: Context<AppEnv>, problem?: FormProblem, typed: Typed = {}) {
  const facts = await pageFacts(c);
  const numbers = await listNumbers(c.env.services, workspaceOf(c));
  const errors = problem?.errors;
  return c.html(
    <Layout facts={facts} title="WhatsApp numbers" active="numbers">
      <NumbersTable numbers={numbers} caption="Connected numbers" />
      <form method="post" action="/app/numbers" class="card" aria-labelledby="connect" autocomplete="off">
        <h2 id="connect">Connect a number</h2>
        <p class="muted">From Meta's WhatsApp Manager. Connecting a number already here replaces its token.</p>
        <Problems message={problem?.message} errors={errors} />
        <CsrfField token={facts.session.csrfToken} />
        <Field form="number" name="phone_number_id" label="Phone-number id" value={typed.phoneNumberId} required inputmode="numeric" pattern="\d{1,32}" errors={errors} />
        <Field form="number" name="waba_id" label="WhatsApp Business Account id" value={typed.wabaId} required inputmode="numeric" pattern="\d{1,32}" errors={errors} />
        {/* The token is never put back into the page, not even after a refusal. */}
        <Field form="number" name="token" label="Access token" type="password" required autocomplete="off" hint="Sealed in the vault at once; never shown again." errors={errors} />
        <Field form="number" name="display_number" label="Display number (optional)" value={typed.displayNumber} inputmode="tel" hint="As people see it, e.g. 919812345678" errors={errors} />
        <Field form="number" name="throughput" label="Throughput in messages per second (optional)" value={typed.throughput} inputmode="numeric" errors={errors} />
        <button type="submit">Connect</button>
      </form>
    </Layout>,
    problem?.status ?? 200,
  );
}

/** /app/numbers: the connected numbers and the connect form (the token goes to the vault through connectNumber). */
export function registerNumberPages(app: PageRoutes) {
  app.get("/numbers", (c) => numbersPage(c));
  app.post("/numbers", async (c) => {
    const form = await readForm(c);
    const typed: Typed = { phoneNumberId: form.text("phone_number_id"), wabaId: form.text("waba_id"), displayNumber: form.text("display_number"), throughput: form.text("throughput") };
    const token = form.text("token");
    const r = await attempt(async () => {
      const errors: FieldError[] = [];
      if (!typed.phoneNumberId || !/^\d{1,32}$/.test(typed.phoneNumberId)) errors.push({ field: "phone_number_id", message: "must be Meta's numeric id" });
      if (!typed.wabaId || !/^\d{1,32}$/.test(typed.wabaId)) errors.push({ field: "waba_id", message: "must be Meta's numeric id" });
      if (!token) errors.push({ field: "token", message: "is required" });
      const display = typed.displayNumber?.replace(/[\s+\-().]/g, "");
      if (display !== undefined && !/^\d{5,15}$/.test(display)) errors.push({ field: "display_number", message: "must be a phone number (digits, with its country code)" });
      const throughput = typed.throughput === undefined ? undefined : Number(typed.throughput);
      if (throughput !== undefined && (!Number.isInteger(throughput) || throughput < 1 || throughput > 1000)) errors.push({ field: "throughput", message: "must be a whole number from 1 to 1000" });
      if (errors.length) throw validationFailed(errors, "The number cannot be connected as entered");
      return connectNumber(
        c.env.services,
        { workspaceId: workspaceOf(c), phoneNumberId: typed.phoneNumberId!, wabaId: typed.wabaId!, token: token!, ...(display ? { displayNumber: display } : {}), ...(throughput ? { throughputMps: throughput } : {}) },
        sessionActor(c),
      );
    });
    if (!r.ok) return numbersPage(c, r.problem, typed);
    return redirectWithFlash(c, "/app/numbers", r.value.token_replaced ? "number_token_replaced" : "number_connected");
  });
}
