/**
 * Bytes that may be held at once by requests nobody has authenticated yet. A request
 * takes what it declares before its body is read and gives it back when done; one
 * that does not fit is refused instead of buffered. Per process (per isolate).
 */
export class ByteBudget {
  private used = 0;
  constructor(readonly capacity: number) {}

  tryTake(bytes: number): boolean {
    if (bytes > this.capacity - this.used) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  get inUse(): number {
    return this.used;
  }
}
