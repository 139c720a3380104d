import type { AppEnv } from "../../env.js";
import type { PageRoutes } from "./routes.js";

/**
 * The dashboard's one stylesheet, served as a file (GET /app/assets/dashboard.css) so
 * pages carry no inline style and the CSP can stay strict. Plain system fonts, nothing
 * fetched from elsewhere.
 */
export const DASHBOARD_CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --accent: #0b6e4f; --danger: #b42318; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
header.top { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); background: var(--soft); }
header.top .brand { font-weight: 700; color: var(--fg); text-decoration: none; }
header.top form { margin: 0; display: flex; gap: .4rem; align-items: center; }
.layout { display: flex; min-height: calc(100vh - 3rem); }
nav.side { width: 13rem; flex: none; padding: 1rem .6rem; border-right: 1px solid var(--line); }
nav.side ul { list-style: none; margin: 0; padding: 0; }
nav.side a { display: block; padding: .3rem .6rem; border-radius: 6px; text-decoration: none; color: var(--fg); }
nav.side a[aria-current="page"] { background: var(--accent); color: #fff; }
main { flex: 1; padding: 1.2rem 1.6rem; max-width: 72rem; }
main.narrow { max-width: 28rem; margin: 4rem auto; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .6rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.empty { color: var(--muted); font-style: italic; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .8rem; margin: 0 0 1rem; padding: 0; list-style: none; }
.tiles li { border: 1px solid var(--line); border-radius: 8px; padding: .7rem 1rem; }
.tiles .n { display: block; font-size: 1.6rem; font-weight: 700; font-variant-numeric: tabular-nums; }
form.card, section.card { border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 0 0 1rem; }
form.inline { display: inline; margin: 0; }
form.filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: flex-end; }
.field { display: flex; flex-direction: column; gap: .2rem; margin: 0 0 .7rem; }
.field label { font-weight: 600; }
input, select, button { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 6px; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.danger { background: #fff; color: var(--danger); border-color: var(--danger); }
button.link { background: none; border: none; color: var(--accent); padding: 0; text-decoration: underline; }
.hint { color: var(--muted); }
.error { color: var(--danger); }
.flash { background: #e6f4ea; border: 1px solid #a7d7b5; padding: .6rem .9rem; border-radius: 6px; }
.problems { background: #fdecea; border: 1px solid #f5b5ad; padding: .6rem .9rem; border-radius: 6px; margin: 0 0 1rem; }
.secret { font-family: ui-monospace, monospace; background: var(--soft); border: 1px dashed var(--muted); padding: .6rem; word-break: break-all; }
.qr { display: block; width: 200px; height: 200px; margin: .5rem 0; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; background: var(--soft); border: 1px solid var(--line); font-size: .85em; }
.badge.bad { color: var(--danger); border-color: var(--danger); }
.badge.good { color: var(--accent); border-color: var(--accent); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; }
pre { background: var(--soft); padding: .6rem; overflow: auto; }
.muted { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
`;

export const registerAssets = (app: PageRoutes) =>
  app.get("/assets/dashboard.css", (c) => {
    c.header("Content-Type", "text/css; charset=utf-8");
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(DASHBOARD_CSS);
  });
