import { BadRequest, parseDuration, SECOND_MS } from "./timing.js";

/** One publish's limits for its flow-control key. */
export interface FlowConfig {
  /** Deliveries in flight at once (an attempt counts from its request until its response). */
  parallelism?: number;
  /** Deliveries started per period. */
  rate?: number;
  /** The rate's window; 1 s unless given. */
  periodMs: number;
}

/**
 * `Upstash-Flow-Control-Value`. The client (2.12.0, `processHeaders`) writes
 * `parallelism=<n>, rate=<n>, period=<d>` joined by ", ", leaving out what is unset;
 * `period` is `${n}s` for a number, else the Duration string as given ("1m"). A bare
 * number period is read as seconds. At least one of parallelism and rate is required
 * (the client throws before sending otherwise).
 */
export function parseFlowControlValue(value: string): FlowConfig {
  const config: FlowConfig = { periodMs: SECOND_MS };
  for (const part of value.split(",")) {
    const item = part.trim();
    if (!item) continue;
    const m = /^([A-Za-z]+)\s*=\s*(\S+)$/.exec(item);
    if (!m) throw new BadRequest(`invalid Upstash-Flow-Control-Value "${value}": expected parallelism=<n>, rate=<n>, period=<duration>`);
    const [, name, raw] = m as unknown as [string, string, string];
    const positive = () => {
      if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new BadRequest(`invalid Upstash-Flow-Control-Value: ${name} must be a positive integer, got "${raw}"`);
      return Number(raw);
    };
    switch (name.toLowerCase()) {
      case "parallelism":
        config.parallelism = positive();
        break;
      case "rate":
      case "ratepersecond":
        config.rate = positive();
        break;
      case "period":
        config.periodMs = /^\d+$/.test(raw) ? Number(raw) * SECOND_MS : parseDuration(raw, "Upstash-Flow-Control-Value period");
        if (config.periodMs <= 0) throw new BadRequest("invalid Upstash-Flow-Control-Value: period must be positive");
        break;
      default:
        throw new BadRequest(`invalid Upstash-Flow-Control-Value: unknown field "${name}"`);
    }
  }
  if (config.parallelism === undefined && config.rate === undefined) {
    throw new BadRequest("Upstash-Flow-Control-Value needs parallelism or rate");
  }
  return config;
}

interface Waiter {
  id: string;
  start: () => void;
}

interface KeyState {
  config: FlowConfig;
  configAt: number;
  active: number;
  windowStart: number;
  windowCount: number;
  waiting: Waiter[];
  timer?: NodeJS.Timeout;
}

export interface FlowKeyInfo {
  flowControlKey: string;
  waitListSize: number;
  parallelismMax?: number;
  parallelismCount: number;
  rateMax?: number;
  rateCount: number;
  ratePeriod: number;
  ratePeriodStart: number;
}

/**
 * Per-key admission: a FIFO wait list released while the key has a free parallelism
 * slot and room in its current rate window (fixed windows, as QStash's `rateCount` /
 * `ratePeriodStart` describe). When publishes of one key carry different limits, the
 * latest publish's limits apply (QStash lets the highest of old and new apply until the
 * old messages drain; this stand-in does not model that transition).
 */
export class FlowGate {
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Queues `start` for the key; it runs when limits allow and must be followed by `release`. */
  enter(key: string, config: FlowConfig, configAt: number, id: string, start: () => void): void {
    let state = this.keys.get(key);
    if (!state) {
      state = { config, configAt, active: 0, windowStart: 0, windowCount: 0, waiting: [] };
      this.keys.set(key, state);
    } else if (configAt >= state.configAt) {
      state.config = config;
      state.configAt = configAt;
    }
    state.waiting.push({ id, start });
    this.pump(key, state);
  }

  release(key: string): void {
    const state = this.keys.get(key);
    if (!state) return;
    state.active = Math.max(0, state.active - 1);
    this.pump(key, state);
  }

  /** Takes a waiting entry out (a cancel); false if it had already started or was never there. */
  remove(key: string, id: string): boolean {
    const state = this.keys.get(key);
    const i = state?.waiting.findIndex((w) => w.id === id) ?? -1;
    if (!state || i < 0) return false;
    state.waiting.splice(i, 1);
    return true;
  }

  info(key: string): FlowKeyInfo | undefined {
    const s = this.keys.get(key);
    if (!s) return undefined;
    return {
      flowControlKey: key,
      waitListSize: s.waiting.length,
      parallelismMax: s.config.parallelism,
      parallelismCount: s.active,
      rateMax: s.config.rate,
      rateCount: s.windowCount,
      ratePeriod: s.config.periodMs / SECOND_MS,
      ratePeriodStart: Math.floor(s.windowStart / SECOND_MS),
    };
  }

  close(): void {
    for (const s of this.keys.values()) if (s.timer) clearTimeout(s.timer);
    this.keys.clear();
  }

  private pump(key: string, s: KeyState): void {
    while (s.waiting.length > 0) {
      const { parallelism, rate, periodMs } = s.config;
      if (parallelism !== undefined && s.active >= parallelism) return;
      if (rate !== undefined) {
        const now = this.now();
        if (now >= s.windowStart + periodMs) {
          s.windowStart = now;
          s.windowCount = 0;
        }
        if (s.windowCount >= rate) {
          if (!s.timer) {
            s.timer = setTimeout(() => {
              s.timer = undefined;
              this.pump(key, s);
            }, s.windowStart + periodMs - now);
            s.timer.unref();
          }
          return;
        }
        s.windowCount++;
      }
      const next = s.waiting.shift()!;
      s.active++;
      next.start();
    }
  }
}
