/*
 * A binary min-heap keyed by time, ties broken by insertion order, for the engine's agenda
 * (sim/engine.ts). Twenty lines; the npm heaps add a comparator call per step and no stable ties,
 * and stable ties are what make one seed repeat a run.
 */
export class Agenda<T> {
  private readonly at: number[] = [];
  private readonly seq: number[] = [];
  private readonly items: T[] = [];
  private n = 0;

  get size(): number {
    return this.items.length;
  }

  push(atMs: number, item: T): void {
    this.at.push(atMs);
    this.seq.push(this.n++);
    this.items.push(item);
    let i = this.items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  peekAt(): number | undefined {
    return this.at[0];
  }

  pop(): { atMs: number; item: T } | undefined {
    if (!this.items.length) return undefined;
    const top = { atMs: this.at[0], item: this.items[0] };
    const last = this.items.length - 1;
    this.swap(0, last);
    this.at.pop();
    this.seq.pop();
    this.items.pop();
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.items.length && this.less(l, m)) m = l;
      if (r < this.items.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    return this.at[a] < this.at[b] || (this.at[a] === this.at[b] && this.seq[a] < this.seq[b]);
  }

  private swap(a: number, b: number): void {
    [this.at[a], this.at[b]] = [this.at[b], this.at[a]];
    [this.seq[a], this.seq[b]] = [this.seq[b], this.seq[a]];
    [this.items[a], this.items[b]] = [this.items[b], this.items[a]];
  }
}
