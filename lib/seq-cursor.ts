/**
 * The opaque cursor of a list ordered by a per-workspace number (the audit chain's seq,
 * a read record's id): the last row's number behind a letter naming the list, so one
 * list's cursor does not decode as another's.
 */
export function seqCursor(letter: string) {
  const shape = new RegExp(`^${letter}(\\d{1,18})$`);
  return {
    encode: (n: number) => btoa(`${letter}${n}`).replace(/=+$/, ""),
    decode: (c: string): number | null => {
      try {
        const m = shape.exec(atob(c));
        return m ? Number(m[1]) : null;
      } catch {
        return null;
      }
    },
  };
}

/** An ISO 8601 date or time a filter accepts (2026-12-01, 2026-12-01T09:30:00Z). */
export const isIsoTime = (v: string) => /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d))?$/.test(v) && !Number.isNaN(new Date(v).getTime());
