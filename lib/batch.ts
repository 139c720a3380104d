/**
 * Group commit. Callers add items and await their own result. Up to `maxInFlight`
 * flushes run at once; items that arrive while all are busy gather and go together in
 * the next one. A lone request is flushed at once (no added latency); under load one
 * round trip serves many, and a new batch does not wait for the previous commit.
 */
export class GroupCommit<T> {
  private queue: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;

  /** `flush` may answer per item: an Error rejects that caller only. */
  constructor(
    private readonly flush: (items: T[]) => Promise<(Error | null)[] | void>,
    private readonly opts: { maxBatch?: number; maxInFlight?: number } = {},
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length && this.inFlight < (this.opts.maxInFlight ?? 1)) {
      const batch = this.queue.splice(0, this.opts.maxBatch ?? 500);
      this.inFlight++;
      void this.run(batch);
    }
  }

  private async run(batch: typeof this.queue): Promise<void> {
    try {
      const results = await this.flush(batch.map((b) => b.item));
      batch.forEach((b, i) => {
        const e = results?.[i];
        if (e) b.reject(e);
        else b.resolve();
      });
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.inFlight--;
      this.pump();
    }
  }
}
