import autocannon from "autocannon";
import { createTally, describeRefusals } from "./tally.js";

export const CONNECTIONS = 64;
export const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);

/**
 * One closed-loop run at 64 concurrent clients. Sends per second count 2xx answers only;
 * refusals are printed beside them by status and code. `onAnswer` sees every answer
 * (status and body), for a benchmark that tells 2xx answers apart.
 */
export async function cannon(url: string, request: autocannon.Request, duration = DURATION_S, onAnswer?: (status: number, body: string | undefined) => void) {
  const tally = createTally();
  const counted: autocannon.Request = {
    ...request,
    onResponse: (status, body) => {
      tally.record(status, body);
      onAnswer?.(status, body);
    },
  };
  const r = await autocannon({ url, connections: CONNECTIONS, duration, pipelining: 1, requests: [counted] });
  const seconds = r.duration || duration;
  return { seconds, rps: tally.ok / seconds, answers: tally.total / seconds, p50: r.latency.p50, p99: r.latency.p99, refused: describeRefusals(tally), errors: r.errors, total: tally.total, ok: tally.ok };
}
