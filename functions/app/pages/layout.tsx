import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import type { PageFacts } from "./facts.js";
import { CsrfField, Flash } from "./ui.js";

export const NAV = [
  { key: "overview", href: "/app", label: "Overview" },
  { key: "messages", href: "/app/messages", label: "Messages" },
  { key: "contacts", href: "/app/contacts", label: "Contacts" },
  { key: "exports", href: "/app/exports", label: "Exports" },
  { key: "templates", href: "/app/templates", label: "Templates" },
  { key: "broadcasts", href: "/app/broadcasts", label: "Broadcasts" },
  { key: "numbers", href: "/app/numbers", label: "WhatsApp numbers" },
  { key: "webhooks", href: "/app/webhooks", label: "Webhooks" },
  { key: "keys", href: "/app/keys", label: "API keys" },
  { key: "members", href: "/app/members", label: "Members" },
  { key: "sessions", href: "/app/sessions", label: "Sessions" },
  { key: "security", href: "/app/security", label: "Security" },
  { key: "audit", href: "/app/audit", label: "Audit log" },
  { key: "support", href: "/app/support", label: "Support access" },
] as const;
export type NavKey = (typeof NAV)[number]["key"];

/** The document around every page: one stylesheet from here, nothing inline. */
function Document({ title, children }: { title: string; children?: Child }) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{title}</title>
          <link rel="stylesheet" href="/app/assets/dashboard.css" />
        </head>
        <body>{children}</body>
      </html>
    </>
  );
}

/** The page around no session: sign-in, errors before anyone is known. */
export function Bare({ title, children }: { title: string; children?: Child }) {
  return (
    <Document title={`${title} · Sandesh`}>
      <main class="narrow">{children}</main>
    </Document>
  );
}

/** Every signed-in page: the top bar (workspace switcher, who, sign out), the navigation, the page. */
export function Layout({ facts, title, active, children, scripts }: { facts: PageFacts; title: string; active: NavKey | null; children?: Child; scripts?: Child }) {
  const { session, workspace, workspaces } = facts;
  return (
    <Document title={`${title}${workspace ? ` · ${workspace.name}` : ""} · Sandesh`}>
      <a class="visually-hidden" href="#main">
        Skip to the page
      </a>
      <header class="top">
        <a class="brand" href="/app">
          Sandesh
        </a>
        {workspaces.length > 1 ? (
          <form method="post" action="/app/workspace" aria-label="Switch workspace">
            <CsrfField token={session.csrfToken} />
            <label for="switch-workspace">Workspace</label>
            <select id="switch-workspace" name="workspace_id">
              {workspaces.map((w) => (
                <option value={w.id} selected={w.id === workspace?.id}>
                  {w.name}
                </option>
              ))}
            </select>
            <button type="submit">Switch</button>
          </form>
        ) : workspace ? (
          <span class="workspace">{workspace.name}</span>
        ) : null}
        <form method="post" action="/app/auth/sign-out">
          <CsrfField token={session.csrfToken} />
          <span class="muted">{session.email}</span>
          <button type="submit" class="link">
            Sign out
          </button>
        </form>
      </header>
      <div class="layout">
        <nav class="side" aria-label="Dashboard">
          <ul>
            {NAV.map((n) => (
              <li>
                <a href={n.href} aria-current={n.key === active ? "page" : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main">
          <h1>{title}</h1>
          <Flash message={facts.flash} />
          {children}
        </main>
      </div>
      {scripts}
    </Document>
  );
}
