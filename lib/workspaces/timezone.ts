/**
 * A workspace's day: `settings.timezone` (an IANA name such as Asia/Kolkata) when it is
 * one this runtime knows, else UTC. "Today" on the overview starts at that zone's midnight.
 */
export function workspaceTimezone(settings: Record<string, unknown> | null | undefined): string {
  const tz = settings?.timezone;
  if (typeof tz !== "string" || tz.length > 64) return "UTC";
  try {
    // The name as the workspace wrote it (ICU would canonicalise Asia/Kolkata to Asia/Calcutta).
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return tz;
  } catch {
    return "UTC";
  }
}

/** Minutes the zone is ahead of UTC at `at` (330 for Asia/Kolkata). */
function offsetMinutes(at: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((local - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}

/** The local calendar date at `at` in the zone, as YYYY-MM-DD. */
export function localDate(at: Date, timeZone: string): string {
  return new Date(at.getTime() + offsetMinutes(at, timeZone) * 60_000).toISOString().slice(0, 10);
}

/**
 * The instant a local wall-clock time (YYYY-MM-DDTHH:MM, as a datetime-local input
 * sends it) happens in the zone. The offset is taken at the guessed instant and once
 * more at the result, so a time just after a daylight-saving change still lands right.
 */
export function instantOfLocal(dateTime: string, timeZone: string): Date {
  const asUtc = Date.parse(`${dateTime.length === 16 ? `${dateTime}:00` : dateTime}Z`);
  let guess = asUtc - offsetMinutes(new Date(asUtc), timeZone) * 60_000;
  guess = asUtc - offsetMinutes(new Date(guess), timeZone) * 60_000;
  return new Date(guess);
}

/** The instant the local day `date` (YYYY-MM-DD) begins in the zone. */
export const startOfLocalDay = (date: string, timeZone: string): Date => instantOfLocal(`${date}T00:00`, timeZone);

/** The next local day's date. */
export const nextDate = (date: string): string => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
