/**
 * Request limits per workspace, with defaults a small business never notices and an
 * abusive client always does. A workspace overrides them in `settings.limits`.
 */
export interface Rate {
  limit: number;
  periodMs: number;
}

export interface Limits {
  apiKey: Rate;
  ip: Rate;
  workspace: Rate;
  /** Messages per sender number per UTC day, on top of Meta's tier. */
  perNumberPerDay: number;
}

export const DEFAULT_LIMITS: Limits = {
  apiKey: { limit: 100, periodMs: 1000 },
  ip: { limit: 200, periodMs: 1000 },
  workspace: { limit: 300, periodMs: 1000 },
  perNumberPerDay: 250_000,
};

const rate = (v: unknown, d: Rate): Rate => {
  const r = v as Partial<Rate> | undefined;
  const limit = Number(r?.limit);
  const periodMs = Number(r?.periodMs);
  return {
    limit: Number.isFinite(limit) && limit >= 1 ? Math.floor(limit) : d.limit,
    periodMs: Number.isFinite(periodMs) && periodMs >= 100 ? Math.floor(periodMs) : d.periodMs,
  };
};

export function limitsFromSettings(settings: Record<string, unknown> | null | undefined): Limits {
  const l = (settings?.limits ?? {}) as Record<string, unknown>;
  const perDay = Number(l.perNumberPerDay);
  return {
    apiKey: rate(l.apiKey, DEFAULT_LIMITS.apiKey),
    ip: rate(l.ip, DEFAULT_LIMITS.ip),
    workspace: rate(l.workspace, DEFAULT_LIMITS.workspace),
    perNumberPerDay: Number.isFinite(perDay) && perDay >= 1 ? Math.floor(perDay) : DEFAULT_LIMITS.perNumberPerDay,
  };
}

/** Meta's messaging tiers: unique recipients of business-initiated messages per rolling 24 h. */
export const TIER_UNIQUE_RECIPIENTS: Record<string, number> = {
  TIER_50: 50,
  TIER_250: 250,
  TIER_1K: 1_000,
  TIER_10K: 10_000,
  TIER_100K: 100_000,
  TIER_UNLIMITED: 0,
};
