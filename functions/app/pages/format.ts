/**
 * How pages write times: UTC, to the second, the same on every machine (the pages are
 * compared in screenshots). null is "—".
 */
export function formatTime(at: Date | string | null | undefined): string {
  if (at === null || at === undefined) return "—";
  const d = typeof at === "string" ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) return "—";
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Counts with thousands separators, as in 12,345: fixed, not the machine's locale. */
export const formatCount = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
