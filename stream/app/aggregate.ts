/**
 * A stream app's per-window aggregate: count and average cholesterol by gender and age band.
 * The blood-test records carry no age (dataset/schema.ts lists every field of the original), so
 * a record without a numeric `age` falls in band "unknown"; a record with one, in a 20-year band.
 */
export interface GroupResult {
  gender: string;
  ageBand: string;
  count: number;
  avgCholesterol: number | null;
}

export function ageBand(age: unknown): string {
  if (typeof age !== 'number' || !Number.isFinite(age) || age < 0) return 'unknown';
  const lo = Math.floor(age / 20) * 20;
  return `${lo}-${lo + 19}`;
}

/** Bands by their lower bound (0-19 before 100-119), `unknown` last. */
const bandOrder = (band: string): number => (band === 'unknown' ? Infinity : Number.parseInt(band, 10));

export class WindowAggregate {
  private readonly groups = new Map<string, { gender: string; ageBand: string; count: number; sum: number; withValue: number }>();
  records = 0;

  add(record: Record<string, unknown>): void {
    const gender = typeof record.gender === 'string' ? record.gender : 'unknown';
    const band = ageBand(record.age);
    const k = `${gender}|${band}`;
    let g = this.groups.get(k);
    if (!g) this.groups.set(k, (g = { gender, ageBand: band, count: 0, sum: 0, withValue: 0 }));
    g.count++;
    const c = record.cholesterol;
    if (typeof c === 'number' && Number.isFinite(c)) {
      g.sum += c;
      g.withValue++;
    }
    this.records++;
  }

  /** The groups, in gender then band order. */
  results(): GroupResult[] {
    return [...this.groups.values()]
      .sort((a, b) => a.gender.localeCompare(b.gender) || bandOrder(a.ageBand) - bandOrder(b.ageBand))
      .map((g) => ({ gender: g.gender, ageBand: g.ageBand, count: g.count, avgCholesterol: g.withValue ? Math.round((g.sum / g.withValue) * 100) / 100 : null }));
  }
}

/** The q-quantile (0..1) of values by nearest rank; NaN for none. Sorts `values` in place. */
export function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))];
}
