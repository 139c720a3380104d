import { GraphError, META_ERRORS } from "./graph-errors.js";

/**
 * The business numbers the sandbox knows: each has one access token and a throughput
 * budget. A number nobody registered is registered on its first send with the token it
 * came with (trust on first use), so `npm start` works without a setup step; after
 * that, any other token is refused with 190 as Meta refuses a revoked one.
 */
export const DEFAULT_THROUGHPUT_MPS = 80;
export const MAX_THROUGHPUT_MPS = 1000;

export interface NumberOptions {
  throughputMps?: number;
  displayPhoneNumber?: string;
  wabaId?: string;
}

export interface BusinessNumber {
  phoneNumberId: string;
  token: string;
  throughputMps: number;
  displayPhoneNumber: string;
  wabaId: string;
  /** Accept times (ms) within the last second: a sliding window, exact at any burst shape. */
  window: number[];
}

export class NumberRegistry {
  private readonly numbers = new Map<string, BusinessNumber>();

  constructor(private readonly defaults: { wabaId: string; throughputMps: number }) {}

  register(phoneNumberId: string, token: string, opts: NumberOptions = {}): BusinessNumber {
    if (!/^\d+$/.test(phoneNumberId)) throw new TypeError(`phone number id must be digits, got "${phoneNumberId}"`);
    if (!token) throw new TypeError("token must not be empty");
    const mps = opts.throughputMps ?? this.defaults.throughputMps;
    if (!Number.isInteger(mps) || mps < 1 || mps > MAX_THROUGHPUT_MPS) throw new RangeError(`throughput must be an integer from 1 to ${MAX_THROUGHPUT_MPS} messages/s, got ${mps}`);
    const n: BusinessNumber = {
      phoneNumberId,
      token,
      throughputMps: mps,
      displayPhoneNumber: opts.displayPhoneNumber ?? `1555${phoneNumberId.slice(-7).padStart(7, "0")}`,
      wabaId: opts.wabaId ?? this.defaults.wabaId,
      window: this.numbers.get(phoneNumberId)?.window ?? [],
    };
    this.numbers.set(phoneNumberId, n);
    return n;
  }

  get(phoneNumberId: string): BusinessNumber | undefined {
    return this.numbers.get(phoneNumberId);
  }

  /** The number this token may send from, or Meta's 190. */
  authorise(phoneNumberId: string, token: string): BusinessNumber {
    const n = this.numbers.get(phoneNumberId) ?? this.register(phoneNumberId, token);
    if (n.token !== token) throw new GraphError(META_ERRORS.tokenInvalid);
    return n;
  }

  /** WABA endpoints take the token of any of its numbers; a WABA with no number yet takes any token. */
  tokenFitsWaba(wabaId: string, token: string): boolean {
    const mine = [...this.numbers.values()].filter((n) => n.wabaId === wabaId);
    return mine.length === 0 || mine.some((n) => n.token === token);
  }

  /** Takes one message from the number's per-second budget, or throws 130429. */
  take(n: BusinessNumber, now: number, httpStatus: number): void {
    while (n.window.length > 0 && n.window[0]! <= now - 1000) n.window.shift();
    if (n.window.length >= n.throughputMps) throw new GraphError({ ...META_ERRORS.throughput, httpStatus });
    n.window.push(now);
  }
}
