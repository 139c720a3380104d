/**
 * Group commit. Callers add items and await their own result; while one flush is in
 * flight the next items gather, and go together in the next flush. A lone request
 * is flushed at once (no added latency); under load one round trip serves many.
 */
export class GroupCommit<T> {
  private queue: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  /** `flush` may answer per item: an Error rejects that caller only. */
  constructor(
    private readonly flush: (items: T[]) => Promise<(Error | null)[] | void>,
    private readonly maxBatch = 500,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.flush(batch.map((b) => b.item));
          batch.forEach((b, i) => {
            const e = results?.[i];
            if (e) b.reject(e);
            else b.resolve();
          });
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
