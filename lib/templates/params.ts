/**
 * How many parameters a send must give each component of an approved template, read
 * from the template's own components as Meta reports them: a body or text header needs
 * one per distinct placeholder ({{1}} or {{name}}), a media or location header one, a URL
 * button with a placeholder one (at its index), a copy-code button one. Meta refuses a
 * mismatch with 132000, but only after the send was accepted and queued: caught here, it
 * costs nothing. Templates with kinds this does not know (carousels, offers …) are not checked.
 */
type Component = Record<string, unknown>;

const placeholders = (text: unknown) => new Set(typeof text === "string" ? text.match(/\{\{\s*[\w.]+\s*\}\}/g) ?? [] : []).size;

export function expectedParameters(components: unknown): Map<string, number> | null {
  if (!Array.isArray(components)) return null;
  const need = new Map<string, number>();
  for (const c of components as Component[]) {
    const type = String(c?.type ?? "").toUpperCase();
    if (type === "BODY") need.set("body", placeholders(c.text));
    else if (type === "HEADER") {
      const format = String(c.format ?? "TEXT").toUpperCase();
      need.set("header", format === "TEXT" ? placeholders(c.text) : 1);
    } else if (type === "BUTTONS") {
      const buttons = Array.isArray(c.buttons) ? (c.buttons as Component[]) : [];
      buttons.forEach((b, i) => {
        const kind = String(b?.type ?? "").toUpperCase();
        if ((kind === "URL" && placeholders(b.url) > 0) || kind === "COPY_CODE") need.set(`button ${i}`, 1);
      });
    } else if (type !== "FOOTER") return null;
  }
  return need;
}

/** What the send gives, keyed like expectedParameters. */
function givenParameters(components: unknown): Map<string, number> {
  const given = new Map<string, number>();
  for (const c of (Array.isArray(components) ? components : []) as Component[]) {
    const type = String(c?.type ?? "").toLowerCase();
    const key = type === "button" ? `button ${Number(c.index)}` : type;
    given.set(key, (given.get(key) ?? 0) + (Array.isArray(c.parameters) ? c.parameters.length : 0));
  }
  return given;
}

/** Each component whose count differs: `{component, expected, given}`; empty when the send fits. */
export function parameterMismatches(templateComponents: unknown, sendComponents: unknown): { component: string; expected: number; given: number }[] {
  const need = expectedParameters(templateComponents);
  if (!need) return [];
  const given = givenParameters(sendComponents);
  const out = [];
  for (const key of new Set([...need.keys(), ...given.keys()])) {
    // A quick-reply button may carry its payload parameter; only the kinds above are counted.
    if (key.startsWith("button") && !need.has(key)) continue;
    const e = need.get(key) ?? 0;
    const g = given.get(key) ?? 0;
    if (e !== g) out.push({ component: key, expected: e, given: g });
  }
  return out;
}
