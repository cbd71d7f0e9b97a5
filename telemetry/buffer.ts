/**
 * A FIFO with a hard bound: pushing onto a full buffer drops the oldest item and counts it.
 * Telemetry during an outage is worth less the older it gets, and the store holds the truth,
 * so losing the oldest is the right trade for a node that must keep a flat memory footprint.
 */
export class BoundedBuffer<T> {
  private items: T[] = [];
  private head = 0;
  /** items dropped since creation */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`buffer capacity must be an integer >= 1, got ${capacity}`);
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends; returns how many old items were dropped to make room (0 or 1). */
  push(item: T): number {
    this.items.push(item);
    return this.trim();
  }

  /** Puts items back at the front (a failed send), in order; drops oldest beyond the bound. */
  unshift(items: T[]): number {
    if (!items.length) return 0;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
    return this.trim();
  }

  /** Removes and returns up to n items from the front. */
  take(n: number): T[] {
    const out = this.items.slice(this.head, this.head + n);
    this.head += out.length;
    // Compact now and then so a long-running node does not keep a growing dead prefix.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  private trim(): number {
    const over = this.length - this.capacity;
    if (over <= 0) return 0;
    this.head += over;
    this.dropped += over;
    return over;
  }
}
