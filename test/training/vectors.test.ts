import { describe, expect, it } from 'vitest';
import type { MetricValues } from '../../model/metrics.js';
import { loadScenario } from '../../model/scenario.js';
import { changeRefVector, copyVector, moveVector, roundVector } from '../../training/vectors.js';
import { orderedPairs, requiredLabels, missingVectors, describeMissing } from '../../training/labels.js';
import { drawLatencies } from '../../training/train.js';
import type { ImpactRow } from '../../model/types.js';

const rho = { responseTime: 1000, executionTime: 200, throughput: 100_000, latency: 1000, availability: 10, consistency: 0.5 };
const run = (rt: number, nl: number, av: number, x = 50_000): MetricValues => ({ responseTime: rt, executionTime: 50, throughput: x, latency: nl, availability: av, consistency: 1 });

describe('training vectors (pure)', () => {
  it('a move that shortens the data path and lands on a less available node: RT, NL up, A down, DC 0', () => {
    const far = [run(1600, 1500, 97), run(1580, 1490, 97)];
    const near = [run(100, 0, 80), run(110, 0, 80)];
    const m = moveVector(far, near, rho);
    expect(m.responseTime).toBeGreaterThan(0.9);
    expect(m.latency).toBeGreaterThan(0.9);
    expect(m.availability).toBeLessThan(-0.9); // -17 points with rho 10: clipped near -1
    expect(m.consistency).toBe(0);
    expect(m.executionTime).toBe(0);
    // the reverse move is the mirror image
    const back = moveVector(near, far, rho);
    expect(back.responseTime).toBeCloseTo(-m.responseTime, 9);
    expect(back.availability).toBeCloseTo(-m.availability, 9);
  });

  it('averages f over the iterations (not f of the averaged delta)', () => {
    const m = moveVector([run(1000, 0, 90), run(1000, 0, 90)], [run(1000 - 1000, 0, 90), run(1000, 0, 90)], rho);
    // iteration 1: f(-1000) on lower-is-better = atan(pi/2) clipped to 1; iteration 2: 0
    expect(m.responseTime).toBeCloseTo(0.5, 9);
  });

  it('refuses unpaired runs', () => {
    expect(() => moveVector([run(1, 1, 1)], [], rho)).toThrow(/as many runs/);
  });

  it('a copy keeps the move vector and costs consistency: one extra copy of k = 2 is -0.5, i.e. f = -1 at rho 0.5', () => {
    const m = moveVector([run(1600, 1500, 85)], [run(100, 0, 97)], rho);
    const c = copyVector(m, 1, 2, 0.5);
    expect({ ...c, consistency: 0 }).toEqual(m);
    expect(c.consistency).toBe(-1);
    // a gentler rho gives a milder penalty, with the same sign
    expect(copyVector(m, 1, 2, 5).consistency).toBeCloseTo(-Math.atan((-0.5 * Math.PI) / 2 / 5) * -1, 9);
  });

  it('CR{y} is the mean of the moves into y', () => {
    const a = moveVector([run(1000, 1000, 80)], [run(0, 0, 97)], rho);
    const b = moveVector([run(500, 500, 97)], [run(0, 0, 97)], rho);
    const cr = changeRefVector([a, b]);
    expect(cr.responseTime).toBeCloseTo((a.responseTime + b.responseTime) / 2, 12);
    expect(cr.availability).toBeCloseTo(a.availability / 2, 12);
    expect(roundVector({ ...cr, latency: -0.0000001 }).latency).toBe(0);
    expect(Object.is(roundVector({ ...cr, latency: -0.0000001 }).latency, -0)).toBe(false);
  });
});

describe('training labels', () => {
  const s = loadScenario('scenarios/thesis.yaml');
  it('every ordered pair of storage nodes; M, C and CR labels required', () => {
    expect(orderedPairs(s).map((p) => `${p.x}${p.y}`)).toEqual(['12', '13', '21', '23', '31', '32']);
    expect(requiredLabels(s)).toHaveLength(15);
    expect(requiredLabels(s)).toEqual(expect.arrayContaining(['M1_3', 'C3_2', 'CR1', 'CR3']));
    const noStorage = { ...s, nodes: s.nodes.map((n) => (n.id === 2 ? { ...n, storage: false } : n)) };
    expect(orderedPairs(noStorage).map((p) => `${p.x}${p.y}`)).toEqual(['13', '31']);
  });

  it('missingVectors lists, per app, the labels the store lacks (any source counts)', async () => {
    const vec = { responseTime: 0, executionTime: 0, throughput: 0, latency: 0, availability: 0, consistency: 0 };
    const rows: ImpactRow[] = requiredLabels(s).map((l) => ({ appId: 1, actionLabel: l, vector: vec, source: 'import', updatedAtMs: 0 }));
    rows.push({ appId: 2, actionLabel: 'M1_2', vector: vec, source: 'online' as const, updatedAtMs: 0 });
    const missing = await missingVectors({ listImpacts: async () => rows }, s);
    expect(missing.map((m) => m.appId)).toEqual([2, 3]);
    expect(missing[0].labels).toHaveLength(14);
    expect(missing[0].labels).not.toContain('M1_2');
    expect(describeMissing(missing, 'scenarios/thesis.yaml')).toMatch(/app 2: .* and 8 more; app 3: .*fogsim train --scenario scenarios\/thesis.yaml/);
  });

  it('latency draws are per app, seeded and floored at 0', () => {
    const a = drawLatencies(s, s.apps[0], 5);
    expect(drawLatencies(s, s.apps[0], 5)).toEqual(a);
    expect(a.get('0:1')).toBe(0); // app 1 sits on node 1: no latency to its own node
    expect(Number.isInteger(a.get('0:2'))).toBe(true);
    const toThree = [...Array(5).keys()].map((i) => a.get(`${i}:3`)!);
    expect(Math.abs(toThree.reduce((x, y) => x + y) / 5 - 1500)).toBeLessThan(20);
    expect(new Set(toThree).size).toBeGreaterThan(2); // drawn, not constant (whole ms may repeat)
    expect(drawLatencies(s, s.apps[1], 5).get('0:3')).not.toBe(a.get('0:3'));
  });
});
