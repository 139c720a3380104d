import type { Context } from "hono";
import { outboundCounts } from "../../../lib/messages/day-counts.js";
import { listNumbers } from "../../../lib/whatsapp/list.js";
import { getWorkspaceSettings } from "../../../lib/workspaces/workspaces.js";
import { localDate, nextDate, startOfLocalDay, workspaceTimezone } from "../../../lib/workspaces/timezone.js";
import type { AppEnv } from "../../env.js";
import type { PageRoutes } from "./routes.js";
import { pageFacts } from "./facts.js";
import { formatCount } from "./format.js";
import { Layout } from "./layout.js";
import { NumbersTable } from "./numbers.js";

async function overviewPage(c: Context<AppEnv>) {
  const facts = await pageFacts(c);
  const ws = facts.session.workspaceId;
  if (!ws) {
    return c.html(
      <Layout facts={facts} title="Overview" active="overview">
        <p>You are not a member of any workspace yet. Ask an owner of one to invite you.</p>
      </Layout>,
    );
  }
  const s = c.env.services;
  const tz = workspaceTimezone(await getWorkspaceSettings(s, ws));
  const today = localDate(s.clock.now(), tz);
  const [counts, numbers] = await Promise.all([outboundCounts(s, ws, startOfLocalDay(today, tz), startOfLocalDay(nextDate(today), tz)), listNumbers(s, ws)]);
  const tiles = [
    { label: "Sent", n: counts.sent, status: "sent" },
    { label: "Delivered", n: counts.delivered, status: "delivered" },
    { label: "Read", n: counts.read, status: "read" },
    { label: "Failed", n: counts.failed, status: "failed" },
  ];
  return c.html(
    <Layout facts={facts} title="Overview" active="overview">
      <h2 id="today">
        Today, {today} ({tz})
      </h2>
      <ul class="tiles" aria-labelledby="today">
        {tiles.map((t) => (
          <li>
            <a href={`/app/messages?date=${today}`} class="tile">
              <span class="n" data-count={t.status}>
                {formatCount(t.n)}
              </span>
              {t.label}
            </a>
          </li>
        ))}
      </ul>
      <p class="muted">Messages sent today, by how far they got: delivered includes read, sent includes both.</p>
      <h2>Numbers' health</h2>
      <NumbersTable numbers={numbers} caption="Connected numbers" />
    </Layout>,
  );
}

/** /app: today's messages in the workspace's day and its numbers' health. */
export const registerOverviewPage = (app: PageRoutes) => app.get("/", overviewPage);
