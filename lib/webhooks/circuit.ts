import type { Services } from "../context.js";
import { defineScript } from "../redis/port.js";
import circuitSource from "./circuit.lua.js";

const CIRCUIT = defineScript("webhook_circuit", circuitSource);

/** Timeouts in a row that open an endpoint's circuit. */
export const CIRCUIT_TIMEOUTS = 3;
/** The first opening lasts this long, each next one twice as long, up to CIRCUIT_MAX_MS. */
export const CIRCUIT_COOL_DOWN_MS = 30_000;
export const CIRCUIT_MAX_MS = 10 * 60_000;
/** A probe that has not reported back by then (its process died) lets another one go. */
const PROBE_LOCK_MS = 30_000;

const keys = (workspaceId: string, endpointId: string) => {
  const k = `{w:${workspaceId}}:whc:${endpointId}`;
  return [k, `${k}:probe`];
};

/** May a delivery to this endpoint call it now? If not, how long until it may try. */
export async function circuitAllows(s: Services, workspaceId: string, endpointId: string): Promise<{ ok: true } | { ok: false; waitMs: number }> {
  const r = await s.redis.run<[string, number?]>(CIRCUIT, keys(workspaceId, endpointId), ["check", s.clock.now().getTime(), PROBE_LOCK_MS]);
  return r[0] === "open" ? { ok: false, waitMs: Math.max(1000, Number(r[1])) } : { ok: true };
}

/** After a call: an answer (any status) closes the circuit, a timeout counts toward opening it. */
export async function recordCircuit(s: Services, workspaceId: string, endpointId: string, outcome: "answered" | "timeout"): Promise<void> {
  const now = s.clock.now().getTime();
  const args = outcome === "timeout" ? ["timeout", now, CIRCUIT_TIMEOUTS, CIRCUIT_COOL_DOWN_MS, CIRCUIT_MAX_MS] : ["answered", now];
  await s.redis.run(CIRCUIT, keys(workspaceId, endpointId), args);
}
