import type { RouteDoc } from "./registry.js";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const json = (x: unknown) => `<pre>${esc(JSON.stringify(x, null, 2))}</pre>`;

function operation(r: RouteDoc): string {
  const query = Object.entries(r.query ?? {});
  return [
    `<section id="${esc(`${r.method}-${r.path}`)}"><h3><code>${r.method.toUpperCase()} ${esc(r.path)}</code></h3>`,
    `<p>${esc(r.summary)}</p>`,
    r.description ? `<p>${esc(r.description)}</p>` : "",
    query.length ? `<table><tr><th>query</th><th></th></tr>${query.map(([k, d]) => `<tr><td><code>${esc(k)}</code></td><td>${esc(d)}</td></tr>`).join("")}</table>` : "",
    r.body ? `<h4>Request</h4>${"csv" in r.body ? `<pre>${esc(r.body.csv)}</pre>` : "multipart" in r.body ? `<p>multipart/form-data: ${Object.entries(r.body.multipart).map(([k, d]) => `<code>${esc(k)}</code> (${esc(d)})`).join(", ")}</p>` : json(r.body.example)}` : "",
    `<h4>Answers</h4><ul>${Object.entries(r.responses).map(([s, d]) => `<li><code>${s}</code> ${esc(d)}</li>`).join("")}<li>errors: <code>{error: {code, message, details?, request_id}}</code></li></ul>`,
    r.answer !== undefined ? json(r.answer) : "",
    "</section>",
  ].join("");
}

/**
 * The browsable reference: server-rendered from the same entries as /openapi.json, no
 * script and no style, so it needs nothing from the network and the CSP stays 'none'.
 */
export function referencePage(routes: readonly RouteDoc[]): string {
  const tags = [...new Set(routes.map((r) => r.tag))];
  const toc = tags.map((t) => `<li><a href="#${esc(t)}">${esc(t)}</a></li>`).join("");
  const body = tags.map((t) => `<h2 id="${esc(t)}">${esc(t)}</h2>${routes.filter((r) => r.tag === t).map(operation).join("")}`).join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandesh API reference</title></head><body><h1>Sandesh API reference</h1><p>The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p><ul>${toc}</ul>${body}</body></html>`;
}
