/*
 * Impact vectors at scale (docs/scenario.md, `sim`): instead of training every app on every
 * action (O(apps x nodes^2) real runs), the vector of an action is the expected change of each
 * metric the data-path model predicts for that app in the world as it is when the vector is asked
 * for; online learning then moves it as in emulation (decision/impact.ts learnedVector), and the
 * learned vector is kept. Nothing else is kept per app and node, so memory stays O(apps + nodes)
 * at 10,000 of each (one row of vectors or expectations per app was 600 MB at 1,000).
 */
import type { ImpactVector, MetricValues } from '../model/metrics.js';
import { impactFromDelta } from '../decision/impact.js';
import { tryParseAction } from '../decision/actions.js';
import { expectedEtMs, type DataPathModel, type ReadInput } from './data-path.js';

/** What the model needs of the world to predict an app's metrics reading a copy on some node. */
export interface ExpectationWorld {
  model: DataPathModel;
  read: Omit<ReadInput, 'latencyMs' | 'rateKBps'>;
  latency(a: number, b: number): number;
  availability(node: number): number;
  /** changes whenever a latency or an availability does (so an expectation can be reused until then) */
  version(): number;
  /** scratch shared by every app's DerivedImpacts: the derived vectors of the app deciding now */
  row: DerivedRow;
}

export interface DerivedRow {
  owner: object | null;
  from: number;
  version: number;
  vectors: Map<number, ImpactVector>;
}

export function derivedRow(): DerivedRow {
  return { owner: null, from: NaN, version: NaN, vectors: new Map() };
}

/** The metrics an app on `appNode` expects reading a copy on `dataNode` (DC is not predicted: decision/consistency.ts). */
export function expectedMetrics(w: ExpectationWorld, appNode: number, dataNode: number): MetricValues {
  const latencyMs = appNode === dataNode ? 0 : w.latency(appNode, dataNode);
  const et = expectedEtMs(w.model, { records: w.read.records, bytes: w.read.bytes, rangeBytes: w.read.rangeBytes, latencyMs });
  return { responseTime: et + w.model.startupMs, executionTime: et, throughput: (w.read.records / et) * 1000, latency: latencyMs, availability: w.availability(dataNode), consistency: 0 };
}

/**
 * One app's vectors: those learned at run time, else the model's expectation for M{x}_{y} and
 * C{x}_{y} (the app reads from x before and from y after; CR{y} borrows M{d}_{y}, as in
 * decision/candidates.ts). A Map to the decision core (decision/decide.ts), so it computes a
 * vector only when a candidate asks for it; only learned vectors are stored.
 */
export class DerivedImpacts extends Map<string, ImpactVector> {
  constructor(
    private readonly w: ExpectationWorld,
    private readonly appNode: number,
    private readonly rho: Record<keyof MetricValues, number>,
  ) {
    super();
  }

  /** the expectation of the node vectors start from (a decision asks every vector from its data node), while the world has not changed */
  private from = { node: NaN, version: NaN, metrics: undefined as MetricValues | undefined };

  private expectFrom(node: number): MetricValues {
    const version = this.w.version();
    if (this.from.node !== node || this.from.version !== version || !this.from.metrics) this.from = { node, version, metrics: expectedMetrics(this.w, this.appNode, node) };
    return this.from.metrics!;
  }

  override get(label: string): ImpactVector | undefined {
    const have = super.get(label);
    if (have) return have;
    const a = tryParseAction(label);
    if (!a || (a.type !== 'move' && a.type !== 'copy')) return undefined;
    // M{x}_{y} and C{x}_{y} share a vector: the row of the deciding app is kept until another app
    // or another source node asks (one row for all apps, not one per app)
    const row = this.w.row;
    const version = this.w.version();
    if (row.owner !== this || row.from !== a.from || row.version !== version) {
      row.owner = this;
      row.from = a.from;
      row.version = version;
      row.vectors.clear();
    }
    let v = row.vectors.get(a.to);
    if (!v) row.vectors.set(a.to, (v = impactFromDelta(this.expectFrom(a.from), expectedMetrics(this.w, this.appNode, a.to), this.rho)));
    return v;
  }

  override has(label: string): boolean {
    if (super.has(label)) return true;
    const a = tryParseAction(label);
    return a !== undefined && (a.type === 'move' || a.type === 'copy');
  }
}
