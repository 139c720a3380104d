import { forbidden } from "../permissions/forbidden.js";
import { seesWholeNumbers, type Principal } from "../permissions/principal.js";

/** Who asked for an export: the only one who may download it (the same API key, or the same person). */
export interface Requester {
  type: "api_key" | "user";
  id: string;
  /** Decided when asked: the file shows numbers as the requester was shown them then. */
  phonesMasked: boolean;
}

export function requesterOf(p: Principal): Requester {
  const phonesMasked = !seesWholeNumbers(p);
  if (p.kind === "api_key") return { type: "api_key", id: p.keyId, phonesMasked };
  if (p.kind === "member") return { type: "user", id: p.userId, phonesMasked };
  // Support access reads; it never exports (its permissions lack exports:create, checked first).
  throw forbidden(p, ["exports:create"]);
}

export const isRequester = (row: { requesterType: string; requesterId: string }, p: Principal): boolean => {
  const r = requesterOf(p);
  return row.requesterType === r.type && row.requesterId === r.id;
};
