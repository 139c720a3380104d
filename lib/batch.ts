/**
 * Group commit. Callers add items and await their own result. Up to `maxInFlight`
 * flushes run at once; items that arrive while all are busy gather and go together in
 * the next one. A lone request is flushed at once (no added latency); under load one
 * round trip serves many, and a new batch does not wait for the previous commit.
 *
 * With `deadlineMs`, a flush that has not settled by then fails every caller of its
 * batch with `deadlineError()` and frees its slot (`onDeadline` lets the owner cut the
 * wedged work loose): no caller waits past the deadline, and one wedged flush does not
 * stop the ones after it. Its late outcome is ignored.
 *
 * With `gather`, a flush starts at the end of the event loop's turn (setImmediate)
 * instead of at the first add: every request whose bytes arrived in the same turn joins
 * it. With `overlapAt`, a flush starts beside one in flight only once that many items
 * wait; fewer wait for the flush in flight to finish. Both trade a little latency for
 * fewer, larger flushes when the process is busy, which is when flushes of one item
 * would cost the most.
 */
export interface GroupCommitOptions {
  maxBatch?: number;
  maxInFlight?: number;
  deadlineMs?: number;
  deadlineError?: () => Error;
  onDeadline?: () => void;
  gather?: boolean;
  overlapAt?: number;
}

export class GroupCommit<T> {
  private queue: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private overdue = 0;
  private gathering = false;

  /** `flush` may answer per item: an Error rejects that caller only. */
  constructor(
    private readonly flush: (items: T[]) => Promise<(Error | null)[] | void>,
    private readonly opts: GroupCommitOptions = {},
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  /** Flushes past their deadline that have not settled yet: the work below is wedged. */
  get wedged(): number {
    return this.overdue;
  }

  private pump(): void {
    if (this.opts.gather) {
      if (this.gathering) return;
      this.gathering = true;
      setImmediate(() => {
        this.gathering = false;
        this.start();
      });
      return;
    }
    this.start();
  }

  private start(): void {
    const overlapAt = this.opts.overlapAt ?? 1;
    while (this.queue.length && this.inFlight < (this.opts.maxInFlight ?? 1) && (this.inFlight === 0 || this.queue.length >= overlapAt)) {
      const batch = this.queue.splice(0, this.opts.maxBatch ?? 500);
      this.inFlight++;
      void this.run(batch);
    }
  }

  private async run(batch: typeof this.queue): Promise<void> {
    let settled = false;
    let late = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      this.inFlight--;
      this.pump();
    };
    const { deadlineMs } = this.opts;
    const timer = deadlineMs
      ? setTimeout(() => {
          late = true;
          this.overdue++;
          settle(() => {
            const err = this.opts.deadlineError?.() ?? new Error(`the flush did not finish within ${deadlineMs} ms`);
            for (const b of batch) b.reject(err);
          });
          this.opts.onDeadline?.();
        }, deadlineMs)
      : undefined;
    try {
      const results = await this.flush(batch.map((b) => b.item));
      settle(() =>
        batch.forEach((b, i) => {
          const e = results?.[i];
          if (e) b.reject(e);
          else b.resolve();
        }),
      );
    } catch (err) {
      settle(() => {
        for (const b of batch) b.reject(err);
      });
    } finally {
      if (late) this.overdue--;
    }
  }
}
