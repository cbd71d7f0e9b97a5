import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadScenario, parseScenario, parseScenarioYaml, linkLatency, rhoFor } from '../../model/scenario.js';
import { UserError } from '../../model/errors.js';

const thesisText = readFileSync('scenarios/thesis.yaml', 'utf8');
const thesis = () => parse(thesisText) as Record<string, any>;

function problems(raw: unknown): string[] {
  try {
    parseScenario(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as UserError).details;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario model', () => {
  it('a binary or non-UTF-8 scenario file is a short error, not its bytes echoed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogsim-bin-'));
    writeFileSync(join(dir, 'a.yaml'), Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x80]));
    writeFileSync(join(dir, 'b.yaml'), Buffer.from('name: x\0\0\0'));
    expect(() => loadScenario(join(dir, 'a.yaml'))).toThrow(/not UTF-8 text; give a YAML scenario file$/);
    expect(() => loadScenario(join(dir, 'b.yaml'))).toThrow(/a binary file \(it holds NUL bytes\)/);
  });

  it('linkLatency looks links up either way round on a 1,000-node mesh, the first link of a pair winning', () => {
    const links = [{ from: 2, to: 1, latencyMs: 7 }, { from: 1, to: 2, latencyMs: 9 }];
    for (let a = 1; a <= 1000; a++) for (let b = a + 1; b <= 1000; b++) if (a > 2) links.push({ from: a, to: b, latencyMs: a + b });
    // 100,000 lookups: a find per call (O(links)) would take minutes here, an index milliseconds
    let sum = 0;
    for (let i = 0; i < 100_000; i++) sum += linkLatency({ links }, 1000 - (i % 997), 3 + (i % 5));
    const pair = (i: number) => [1000 - (i % 997), 3 + (i % 5)];
    expect(sum).toBe(Array.from({ length: 100_000 }, (_, i) => pair(i)).reduce((n, [a, b]) => n + (a === b ? 0 : a + b), 0));
    expect([linkLatency({ links }, 1, 2), linkLatency({ links }, 2, 1), linkLatency({ links }, 999, 500), linkLatency({ links }, 1, 999)]).toEqual([7, 7, 1499, 0]);
  });

  it('loads the default scenario with the original topology and fills defaults', () => {
    const s = loadScenario('scenarios/thesis.yaml');
    expect(s.nodes.map((n) => [n.id, n.availability])).toEqual([[1, 97], [2, 80], [3, 85]]);
    expect(linkLatency(s, 1, 3)).toBe(1500);
    expect(linkLatency(s, 3, 2)).toBe(1200);
    expect(linkLatency(s, 2, 2)).toBe(0);
    expect(s.dataset.node).toBe(3);
    expect(s.decision.rho.responseTime).toBeGreaterThan(0);
    expect(s.nodes.every((n) => n.storage)).toBe(true);
    expect(s.apps[2].goal).toEqual({ any: [{ metric: 'consistency', min: 0.7 }, { metric: 'latency', max: 1300 }] });
  });

  it('keeps the original timings in the second scenario', () => {
    const s = loadScenario('scenarios/thesis-original.yaml');
    expect(s.timing.arrivalMeanMs).toBe(15000);
    expect(s.timing.feedbackWindowMs).toBe(210000);
  });

  it('fills every decision parameter of docs/scenario.md when absent', () => {
    const raw = thesis();
    delete raw.decision;
    delete raw.timing;
    const s = parseScenario(raw);
    expect(s.decision).toMatchObject({ weightViolated: 0.7, weightSatisfied: 0.3, costMove: 1.5, costCopy: 1.8, costChangeRef: 1, costNone: 1, counterPenalty: 0.33, epsilon: 0.1, learningRate: 0.5, feedbackThreshold: 0.3, maxCopies: 2 });
    expect(s.timing.latencySdMs).toBe(7);
  });

  it('names the path of an unknown metric and lists the known ones', () => {
    const raw = thesis();
    raw.apps[1].goal = { all: [{ metric: 'throughput', min: 1 }, { metric: 'rt', max: 3 }] };
    expect(problems(raw)).toContain('apps[1].goal.all[1].metric: unknown metric "rt"; expected one of responseTime, executionTime, throughput, latency, availability, consistency');
  });

  it('rejects out-of-range values with their paths', () => {
    const raw = thesis();
    raw.nodes[0].availability = 120;
    raw.links[1].latencyMs = -5;
    const p = problems(raw);
    expect(p).toContain('nodes[0].availability: must be <= 100');
    expect(p).toContain('links[1].latencyMs: must be >= 0');
  });

  it('rejects references to missing nodes, duplicate ids and missing links', () => {
    const raw = thesis();
    raw.apps[0].node = 9;
    raw.apps[2].id = 2;
    raw.nodes.push({ id: 2, availability: 50 });
    raw.links = raw.links.slice(0, 2);
    const p = problems(raw);
    expect(p).toContain('apps[0].node: node 9 does not exist; known nodes: 1, 2, 3, 2');
    expect(p).toContain('apps: duplicate app id 2; every app needs its own id');
    expect(p).toContain('nodes: duplicate node id 2; every node needs its own id');
    expect(p.some((x) => x.startsWith('links: no latency between nodes 2 and 3'))).toBe(true);
  });

  it('checks nested goals, bounds and combinators', () => {
    const raw = thesis();
    raw.apps[0].goal = { any: [{ all: [{ metric: 'availability', min: 150 }] }, { metric: 'latency' }, {}] };
    const p = problems(raw);
    expect(p).toContain('apps[0].goal.any[0].all[0].min: availability is a percentage (0-100), got 150');
    expect(p).toContain('apps[0].goal.any[1]: give exactly one of "min" or "max"');
    expect(p.some((x) => x.startsWith('apps[0].goal.any[2].metric: required'))).toBe(true);
    raw.apps[0].goal = { all: [] };
    expect(problems(raw)).toContain('apps[0].goal.all: expected a non-empty list of goals');
  });

  it('reports goal errors together with schema errors in one pass', () => {
    const raw = thesis();
    raw.nodes[1].availability = 'high';
    raw.apps[0].goal = { metric: 'speed', max: 1 };
    const p = problems(raw);
    expect(p.some((x) => x.startsWith('nodes[1].availability: expected number'))).toBe(true);
    expect(p.some((x) => x.startsWith('apps[0].goal.metric: unknown metric "speed"'))).toBe(true);
  });

  it('refuses a data set on a node without storage and unknown fields', () => {
    const raw = thesis();
    raw.nodes[2].storage = false;
    raw.dataset.color = 'red';
    const p = problems(raw);
    expect(p).toContain('dataset: unknown field(s) "color"; remove or correct them');
    delete raw.dataset.color;
    expect(problems(raw)).toContain('dataset.node: node 3 has storage: false and cannot host the data set');
  });

  it('gives the line of a YAML syntax error', () => {
    expect(() => parseScenarioYaml('nodes: [\n  - a: 1\n', 'x.yaml')).toThrow(/line 2, column 3/);
  });

  it('says which file cannot be read', () => {
    expect(() => loadScenario('does/not/exist.yaml')).toThrow('cannot read scenario does/not/exist.yaml: ENOENT');
  });
});

describe('per-app normalisation constants and the job (issue 13)', () => {
  const base = { nodes: [{ id: 1, availability: 90 }], dataset: { node: 1 } };
  it('apps[].rho overrides the scenario rho metric by metric; the learning and training of that app use it', () => {
    const s = parseScenario({ ...base, decision: { rho: { responseTime: 100 } }, apps: [{ id: 1, node: 1, goal: { metric: 'latency', max: 1 }, rho: { throughput: 3000 } }, { id: 2, node: 1, goal: { metric: 'latency', max: 1 } }] });
    expect(rhoFor(s, 1)).toMatchObject({ responseTime: 100, throughput: 3000 });
    expect(rhoFor(s, 2)).toMatchObject({ responseTime: 100, throughput: s.decision.rho.throughput });
    expect(rhoFor(s, 99)).toEqual(s.decision.rho); // an app added at run time: the scenario's
    expect(problems({ ...base, apps: [{ id: 1, node: 1, goal: { metric: 'latency', max: 1 }, rho: { rt: 1 } }] })).toEqual([expect.stringMatching(/^apps\[0\]\.rho: unknown field\(s\) "rt"/)]);
    expect(problems({ ...base, apps: [{ id: 1, node: 1, goal: { metric: 'latency', max: 1 }, rho: { latency: 0 } }] })).toEqual([expect.stringMatching(/^apps\[0\]\.rho\.latency: must be > 0/)]);
  });
  it('decision.scoring and decision.feedbackScope default to the original and name their choices', () => {
    const s = parseScenario({ ...base, apps: [{ id: 1, node: 1, goal: { metric: 'latency', max: 1 } }] });
    expect([s.decision.scoring, s.decision.feedbackScope]).toEqual(['original', 'copy']);
    expect(problems({ ...base, decision: { scoring: 'best' }, apps: [{ id: 1, node: 1, goal: { metric: 'latency', max: 1 } }] })[0]).toMatch(/^decision\.scoring: /);
  });
  it('the thesis scenario reads its data in ranged GETs', () => {
    expect(loadScenario('scenarios/thesis.yaml').job.rangeBytes).toBeGreaterThan(0);
  });
});

describe('scenarios/thesis-original.yaml holds the original values (GiuMangiaracina/Thesis, program/spark1..3)', () => {
  const s = loadScenario('scenarios/thesis-original.yaml');
  it('timings: arrivals normal(15 s, 2 s), T = 210 s, latency sd 7 ms', () => {
    expect(s.timing).toMatchObject({ arrivalMeanMs: 15_000, arrivalSdMs: 2_000, feedbackWindowMs: 210_000, latencySdMs: 7 });
  });
  it('goals of the three apps (metrics.py): RT <= 35 s AND A >= 90; X >= 30000 AND A >= 80; DC >= 0.7 OR NL <= 1300', () => {
    expect(s.apps.map((a) => a.goal)).toEqual([
      { all: [{ metric: 'responseTime', max: 35_000 }, { metric: 'availability', min: 90 }] },
      { all: [{ metric: 'throughput', min: 30_000 }, { metric: 'availability', min: 80 }] },
      { any: [{ metric: 'consistency', min: 0.7 }, { metric: 'latency', max: 1300 }] },
    ]);
  });
  it('rho per app (metrics.py of each container): RT 40 s, ET 15 s, NL 2000, A 25; X 30000 / 3000 / 3000; DC 1/k, 1/k, 1', () => {
    expect(s.apps.map((a) => rhoFor(s, a.id))).toEqual([
      { responseTime: 40_000, executionTime: 15_000, throughput: 30_000, latency: 2000, availability: 25, consistency: 0.5 },
      { responseTime: 40_000, executionTime: 15_000, throughput: 3000, latency: 2000, availability: 25, consistency: 0.5 },
      { responseTime: 40_000, executionTime: 15_000, throughput: 3000, latency: 2000, availability: 25, consistency: 1 },
    ]);
  });
  it('weights, costs, penalty, threshold, learning rate, exploration, k (init.py, actions.py, db.py, delta.py)', () => {
    expect(s.decision).toMatchObject({ scoring: 'original', feedbackScope: 'copy', weightViolated: 0.7, weightSatisfied: 0.3, costMove: 1.5, costCopy: 1.8, costChangeRef: 1, costNone: 1, counterPenalty: 0.33, feedbackThreshold: 0.3, learningRate: 0.5, epsilon: 0.1, maxCopies: 2 });
    expect(s.nodes.map((n) => n.availability)).toEqual([97, 80, 85]);
    expect([linkLatency(s, 1, 2), linkLatency(s, 1, 3), linkLatency(s, 2, 3)]).toEqual([1000, 1500, 1200]);
  });
});
