/*
 * Impact vectors at scale (docs/scenario.md, `sim`): instead of training every app on every
 * action (O(apps x nodes^2) real runs), the vector of an action is the expected change of each
 * metric the data-path model predicts for that app, derived on first use and cached; online
 * learning then moves it as in emulation (decision/impact.ts learnedVector).
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
}

/** The metrics an app on `appNode` expects reading a copy on `dataNode` (DC is not predicted: decision/consistency.ts). */
export function expectedMetrics(w: ExpectationWorld, appNode: number, dataNode: number): MetricValues {
  const latencyMs = appNode === dataNode ? 0 : w.latency(appNode, dataNode);
  const et = expectedEtMs(w.model, { ...w.read, latencyMs });
  return { responseTime: et + w.model.startupMs, executionTime: et, throughput: (w.read.records / et) * 1000, latency: latencyMs, availability: w.availability(dataNode), consistency: 0 };
}

/**
 * One app's vectors: those learned at run time, else the model's expectation for M{x}_{y} and
 * C{x}_{y} (the app reads from x before and from y after; CR{y} borrows M{d}_{y}, as in
 * decision/candidates.ts). A Map to the decision core (decision/decide.ts), so it computes a
 * vector only when a candidate asks for it.
 */
export class DerivedImpacts extends Map<string, ImpactVector> {
  constructor(
    private readonly w: ExpectationWorld,
    private readonly appNode: number,
    private readonly rho: Record<keyof MetricValues, number>,
  ) {
    super();
  }

  /** what the app expects reading from each node, computed once per node (vectors share them) */
  private readonly expected = new Map<number, MetricValues>();

  private expect(node: number): MetricValues {
    let m = this.expected.get(node);
    if (!m) this.expected.set(node, (m = expectedMetrics(this.w, this.appNode, node)));
    return m;
  }

  override get(label: string): ImpactVector | undefined {
    const have = super.get(label);
    if (have) return have;
    const a = tryParseAction(label);
    if (!a || (a.type !== 'move' && a.type !== 'copy')) return undefined;
    const v = impactFromDelta(this.expect(a.from), this.expect(a.to), this.rho);
    super.set(label, v);
    return v;
  }

  override has(label: string): boolean {
    return this.get(label) !== undefined;
  }
}
