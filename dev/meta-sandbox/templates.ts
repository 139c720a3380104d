import { GraphError, invalidParam, META_ERRORS } from "./graph-errors.js";

/**
 * The WABA's message templates, as Meta keeps them: listed in pages
 * (`paging.cursors.before/after`, `next`), submitted for review (PENDING, then APPROVED
 * after `reviewMs`; a name starting `reject_` is REJECTED, `pause_` is APPROVED and then
 * PAUSED), deleted by name. Every status change is posted as a
 * `message_template_status_update` webhook. Sends of a template are checked against it
 * once the WABA has any template: unknown name or language 132001, not approved 132001,
 * paused 132015, wrong parameter count 132000. A WABA with no template at all accepts any
 * template name, as the sandbox always did.
 */
export interface SandboxTemplate {
  id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  components: Record<string, unknown>[];
  rejected_reason?: string;
  quality_score?: { score: string };
}

export type TemplateWebhook = (wabaId: string, field: "message_template_status_update" | "template_category_update", value: Record<string, unknown>) => void;

let nextId = 1_000_000_000_000 + Math.floor(Math.random() * 1e9);

const cursor = (i: number) => Buffer.from(`idx:${i}`).toString("base64url");
const uncursor = (c: string | null) => {
  const m = c ? /^idx:(\d+)$/.exec(Buffer.from(c, "base64url").toString()) : null;
  return m ? Number(m[1]) : null;
};

/** Parameters a send must give per component: "body" → 2, "header" → 1, "button:0" → 1. */
function expected(components: Record<string, unknown>[]): Map<string, number> | null {
  const need = new Map<string, number>();
  const placeholders = (s: unknown) => new Set(String(s ?? "").match(/\{\{\s*[^}]+\s*\}\}/g) ?? []).size;
  for (const c of components) {
    const type = String(c.type ?? "").toUpperCase();
    if (type === "BODY") need.set("body", placeholders(c.text));
    else if (type === "HEADER") need.set("header", String(c.format ?? "TEXT").toUpperCase() === "TEXT" ? placeholders(c.text) : 1);
    else if (type === "BUTTONS") {
      (Array.isArray(c.buttons) ? (c.buttons as Record<string, unknown>[]) : []).forEach((b, i) => {
        if (String(b.type).toUpperCase() === "URL" && placeholders(b.url) > 0) need.set(`button:${i}`, 1);
      });
    } else if (type !== "FOOTER") return null; // carousels and the like: not checked
  }
  return need;
}

export class TemplateRegistry {
  private readonly byWaba = new Map<string, SandboxTemplate[]>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: { reviewMs: () => number; webhook: TemplateWebhook }) {}

  all(wabaId: string): SandboxTemplate[] {
    return this.byWaba.get(wabaId) ?? [];
  }

  /** A template as if Meta had approved it long ago (tests and `POST /_sandbox/templates`). */
  seed(wabaId: string, t: Partial<SandboxTemplate> & { name: string }): SandboxTemplate {
    const list = this.byWaba.get(wabaId) ?? [];
    this.byWaba.set(wabaId, list);
    const language = t.language ?? "en_US";
    const existing = list.findIndex((x) => x.name === t.name && x.language === language);
    const row: SandboxTemplate = { id: String(nextId++), category: "UTILITY", status: "APPROVED", components: [], ...t, language };
    if (existing >= 0) list[existing] = row;
    else list.push(row);
    return row;
  }

  list(wabaId: string, q: URLSearchParams, selfUrl: string) {
    let rows = this.all(wabaId);
    if (q.get("name")) rows = rows.filter((t) => t.name === q.get("name"));
    if (q.get("status")) rows = rows.filter((t) => t.status === q.get("status")!.toUpperCase());
    const limit = Math.min(Math.max(Number(q.get("limit") ?? 25) || 25, 1), 1000);
    const after = uncursor(q.get("after"));
    const before = uncursor(q.get("before"));
    const start = after !== null ? after + 1 : before !== null ? Math.max(0, before - limit) : 0;
    const page = rows.slice(start, start + limit);
    const paging: Record<string, unknown> = page.length ? { cursors: { before: cursor(start), after: cursor(start + page.length - 1) } } : { cursors: {} };
    if (start + page.length < rows.length) {
      const next = new URL(selfUrl);
      next.searchParams.delete("before");
      next.searchParams.set("limit", String(limit));
      next.searchParams.set("after", cursor(start + page.length - 1));
      paging.next = next.href;
    }
    return { data: page.map((t) => ({ ...t })), paging };
  }

  create(wabaId: string, body: Record<string, unknown>): SandboxTemplate {
    const name = body.name;
    if (typeof name !== "string" || !/^[a-z0-9_]{1,512}$/.test(name)) throw invalidParam("Param name must be lowercase letters, digits and underscores");
    if (typeof body.language !== "string") throw invalidParam("Param language is required");
    if (!["MARKETING", "UTILITY", "AUTHENTICATION"].includes(String(body.category))) throw invalidParam("Param category must be one of {MARKETING, UTILITY, AUTHENTICATION}");
    if (!Array.isArray(body.components)) throw invalidParam("Param components must be an array");
    if (this.all(wabaId).some((t) => t.name === name && t.language === body.language)) {
      throw new GraphError(META_ERRORS.invalidParameter, `Content in this language already exists: ${name} (${body.language})`);
    }
    const t = this.seed(wabaId, { name, language: body.language, category: String(body.category), components: body.components as Record<string, unknown>[], status: "PENDING" });
    this.later(() => {
      if (name.startsWith("reject_")) return this.setStatus(wabaId, t, "REJECTED", "INVALID_FORMAT");
      this.setStatus(wabaId, t, "APPROVED");
      if (name.startsWith("pause_")) this.later(() => this.setStatus(wabaId, t, "PAUSED", "LOW_QUALITY"));
    });
    return t;
  }

  /** DELETE ?name= removes every language of the name (?hsm_id= just one), as Meta does. */
  delete(wabaId: string, name: string | null, hsmId: string | null): number {
    const list = this.all(wabaId);
    const keep = list.filter((t) => !(t.name === name && (hsmId === null || t.id === hsmId)));
    this.byWaba.set(wabaId, keep);
    return list.length - keep.length;
  }

  setStatus(wabaId: string, t: SandboxTemplate, status: string, reason = "NONE") {
    t.status = status;
    if (status === "REJECTED") t.rejected_reason = reason;
    this.opts.webhook(wabaId, "message_template_status_update", {
      event: status,
      message_template_id: Number(t.id),
      message_template_name: t.name,
      message_template_language: t.language,
      reason,
    });
  }

  setCategory(wabaId: string, t: SandboxTemplate, category: string) {
    const previous = t.category;
    t.category = category;
    this.opts.webhook(wabaId, "template_category_update", {
      message_template_id: Number(t.id),
      message_template_name: t.name,
      message_template_language: t.language,
      previous_category: previous,
      new_category: category,
    });
  }

  /** Throws Meta's refusal for a template send, or returns when it may go. */
  checkSend(wabaId: string, template: Record<string, unknown>): void {
    const list = this.all(wabaId);
    if (!list.length) return;
    const language = (template.language as { code?: string } | undefined)?.code;
    const t = list.find((x) => x.name === template.name && x.language === language);
    if (!t || (t.status !== "APPROVED" && t.status !== "PAUSED")) throw new GraphError(META_ERRORS.templateMissing, `template name (${String(template.name)}) does not exist in ${language}`);
    if (t.status === "PAUSED") throw new GraphError(META_ERRORS.templatePaused);
    const need = expected(t.components);
    if (!need) return;
    const given = new Map<string, number>();
    for (const c of (Array.isArray(template.components) ? template.components : []) as Record<string, unknown>[]) {
      // Sends name component types in any case (BODY, body).
      const type = String(c.type).toLowerCase();
      const key = type === "button" ? `button:${Number(c.index)}` : type;
      given.set(key, Array.isArray(c.parameters) ? c.parameters.length : 0);
    }
    for (const key of new Set([...need.keys(), ...given.keys()])) {
      if ((need.get(key) ?? 0) !== (given.get(key) ?? 0)) {
        throw new GraphError(META_ERRORS.templateParams, `${key}: number of localizable_params (${given.get(key) ?? 0}) does not match the expected number of params (${need.get(key) ?? 0})`);
      }
    }
  }

  private later(fn: () => void) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, this.opts.reviewMs());
    this.timers.add(timer);
  }

  close() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
