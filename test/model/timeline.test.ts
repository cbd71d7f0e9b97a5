import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../model/errors.js';
import { loadScenario, parseScenario } from '../../model/scenario.js';
import { STEP_KINDS } from '../../model/steps.js';
import { csvCells, expandDynamics, expandTimeline, parseArgs, parseTrace, validateTimeline } from '../../model/timeline.js';

const thesis = () => parse(readFileSync('scenarios/thesis.yaml', 'utf8')) as Record<string, any>;

function problems(raw: unknown, source?: string): string[] {
  try {
    parseScenario(raw, source);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as UserError).details;
  }
  throw new Error('expected the scenario to be rejected');
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fogsim-timeline-'));
  dirs.push(d);
  return d;
}

describe('timeline in the scenario', () => {
  it('parses every kind of step, in time order, with its origin', () => {
    const raw = thesis();
    raw.timeline = [
      { at: 60, do: { kind: 'nodeUp', node: 2 } },
      { at: 10, do: { kind: 'setLatency', from: 1, to: 2, latencyMs: 200 } },
      { at: 20, do: { kind: 'setAvailability', node: 3, availability: 60 } },
      { at: 30, do: { kind: 'nodeDown', node: 2 } },
      { at: 40, do: { kind: 'addNode', id: 4, availability: 90, latency: { 1: 300, 2: 800, 3: 900 }, goal: { metric: 'responseTime', max: 900 } } },
      { at: 50, do: { kind: 'setBandwidth', from: 4, to: 3, rateKBps: 500 } },
      { at: 55, do: { kind: 'setGoal', app: 4, goal: { all: [{ metric: 'latency', max: 500 }] } } },
      { at: 56, do: { kind: 'deleteApp', app: 4 } },
      { at: 57, do: { kind: 'deleteNode', node: 4 } },
    ];
    const s = parseScenario(raw);
    expect(s.timeline.map((t) => [t.at, t.do.kind, t.origin])).toEqual([
      [10, 'setLatency', 'timeline[1]'],
      [20, 'setAvailability', 'timeline[2]'],
      [30, 'nodeDown', 'timeline[3]'],
      [40, 'addNode', 'timeline[4]'],
      [50, 'setBandwidth', 'timeline[5]'],
      [55, 'setGoal', 'timeline[6]'],
      [56, 'deleteApp', 'timeline[7]'],
      [57, 'deleteNode', 'timeline[8]'],
      [60, 'nodeUp', 'timeline[0]'],
    ]);
    expect(s.timeline[3].do).toEqual({ kind: 'addNode', id: 4, availability: 90, storage: true, latency: { 1: 300, 2: 800, 3: 900 }, goal: { metric: 'responseTime', max: 900 } });
    expect(new Set(s.timeline.map((t) => t.do.kind))).toEqual(new Set(STEP_KINDS));
    // no timeline: an empty one
    expect(parseScenario(thesis()).timeline).toEqual([]);
  });

  it('a node or app deleted by an earlier step does not exist for the steps after, and the message says which step deleted it', () => {
    const raw = thesis();
    raw.timeline = [
      { at: 5, do: { kind: 'deleteNode', node: 2 } },
      { at: 6, do: { kind: 'deleteApp', app: 3 } },
      { at: 7, do: { kind: 'nodeDown', node: 2 } },
      { at: 8, do: { kind: 'setGoal', app: 3, goal: { metric: 'latency', max: 10 } } },
      { at: 9, do: { kind: 'deleteApp', app: 3 } },
    ];
    expect(problems(raw)).toEqual([
      'timeline[2].do.node: node 2 does not exist any more (timeline[0] deletes it); known nodes: 1, 3',
      'timeline[3].do.app: app 3 does not exist any more (timeline[1] deletes it); known apps: 1, 2',
      'timeline[4].do.app: app 3 does not exist any more (timeline[1] deletes it); known apps: 1, 2',
    ]);
  });

  it('an unknown node is a path-precise error naming the known nodes', () => {
    const raw = thesis();
    raw.timeline = [
      { at: 5, do: { kind: 'setLatency', from: 1, to: 2, latencyMs: 10 } },
      { at: 6, do: { kind: 'setAvailability', node: 1, availability: 50 } },
      { at: 7, do: { kind: 'nodeDown', node: 9 } },
      { at: 8, do: { kind: 'setLatency', from: 1, to: 7, latencyMs: 10 } },
    ];
    const p = problems(raw);
    expect(p).toContain('timeline[2].do.node: node 9 does not exist; known nodes: 1, 2, 3');
    expect(p).toContain('timeline[3].do.to: node 7 does not exist; known nodes: 1, 2, 3');
    expect(p).toHaveLength(2);
  });

  it('a node exists from the step that adds it on, not before', () => {
    const raw = thesis();
    raw.timeline = [
      { at: 10, do: { kind: 'nodeDown', node: 4 } },
      { at: 20, do: { kind: 'addNode', id: 4, availability: 90, latency: { 1: 300, 2: 800, 3: 900 } } },
      { at: 30, do: { kind: 'setLatency', from: 4, to: 1, latencyMs: 100 } },
      // no goal, no app: app 4 does not exist
      { at: 40, do: { kind: 'setGoal', app: 4, goal: { metric: 'latency', max: 1 } } },
      // node 5 joins after 4: it needs a latency to 4 too
      { at: 50, do: { kind: 'addNode', id: 5, availability: 90, latency: { 1: 300, 2: 800, 3: 900 } } },
      { at: 60, do: { kind: 'addNode', id: 4, availability: 90, latency: { 1: 1 } } },
    ];
    const p = problems(raw);
    expect(p).toEqual([
      'timeline[0].do.node: node 4 does not exist yet (timeline[1] at 20 s adds it); known nodes: 1, 2, 3',
      'timeline[3].do.app: app 4 does not exist; known apps: 1, 2, 3',
      'timeline[4].do.latency: missing latency to node(s) 4; the new node needs one to every node that exists then, e.g. {4: 1000}',
      'timeline[5].do.id: node 4 already exists; pick an unused id (existing: 1, 2, 3, 4, 5)',
      'timeline[5].do.latency: missing latency to node(s) 2, 3, 5; the new node needs one to every node that exists then, e.g. {2: 1000, 3: 1000, 5: 1000}',
    ]);
  });

  it('an unknown step kind, a missing kind, a bad field and a bad goal name their paths', () => {
    const raw = thesis();
    raw.timeline = [
      { at: 1, do: { kind: 'explode', node: 1 } },
      { at: 2, do: { node: 1 } },
      { at: -3, do: { kind: 'setAvailability', node: 1, availability: 150 } },
      { at: 4, do: { kind: 'nodeDown', node: 1, extra: true } },
      { at: 5, do: { kind: 'setBandwidth', from: 1, to: 2, rateKBps: -1 } },
    ];
    const p = problems(raw);
    const kinds = STEP_KINDS.join(', ');
    expect(p).toContain(`timeline[0].do.kind: unknown kind "explode"; expected one of ${kinds}`);
    expect(p).toContain(`timeline[1].do.kind: required; expected one of ${kinds}`);
    expect(p).toContain('timeline[2].at: must be >= 0');
    expect(p).toContain('timeline[2].do.availability: must be <= 100');
    expect(p).toContain('timeline[3].do: unknown field(s) "extra"; remove or correct them');
    expect(p).toContain('timeline[4].do.rateKBps: must be >= 0');

    const goal = thesis();
    goal.timeline = [{ at: 1, do: { kind: 'setGoal', app: 2, goal: { metric: 'rt', max: 1 } } }];
    expect(problems(goal)).toEqual(['timeline[0].do.goal.metric: unknown metric "rt"; expected one of responseTime, executionTime, throughput, latency, availability, consistency']);
  });

  it('a time past the duration is an error once the duration is known (fogsim run --duration)', () => {
    const raw = thesis();
    raw.timeline = [
      { at: 30, do: { kind: 'nodeDown', node: 2 } },
      { at: 150, do: { kind: 'nodeUp', node: 2 } },
    ];
    const s = parseScenario(raw, 'dyn.yaml');
    expect(() => validateTimeline(s, 200)).not.toThrow();
    const err = (() => {
      try {
        validateTimeline(s, 120);
      } catch (e) {
        return e as UserError;
      }
    })();
    expect(err).toBeInstanceOf(UserError);
    expect(err!.details).toEqual(['timeline[1].at: 150 s is past the duration of the run (120 s); move the step before 120 s or run longer (--duration)']);
    expect(err!.message).toContain('invalid timeline in dyn.yaml for a run of 120 s: 1 problem(s)');
  });
});

describe('trace files', () => {
  it('reads cells with quotes and args as key=value pairs, nested by dots, JSON values', () => {
    expect(csvCells('10,addNode,"id=4;latency.1=300;goal={""metric"":""latency"",""max"":5}"')).toEqual(['10', 'addNode', 'id=4;latency.1=300;goal={"metric":"latency","max":5}']);
    expect(parseArgs('id=4;latency.1=300;latency.2=800;storage=false;name=edge;goal={"any":[{"metric":"latency","max":5}]}')).toEqual({
      args: { id: 4, latency: { 1: 300, 2: 800 }, storage: false, name: 'edge', goal: { any: [{ metric: 'latency', max: 5 }] } },
    });
    expect(parseArgs('node')).toEqual({ problem: 'cannot read "node"; expected key=value pairs separated by ";", e.g. node=2;availability=60' });
  });

  it('merges the trace with the timeline, checking nodes in time order', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'steps.csv'),
      ['at,kind,args', '# the outage', '45,nodeDown,node=2', '', '90,nodeUp,node=2', '100,addNode,"id=5;availability=70;latency.1=300;latency.2=400;latency.3=500;latency.4=600"'].join('\n'),
    );
    const raw = thesis();
    raw.trace = 'steps.csv';
    raw.timeline = [{ at: 50, do: { kind: 'addNode', id: 4, availability: 90, latency: { 1: 300, 2: 800, 3: 900 } } }];
    const s = parseScenario(raw, join(dir, 'dyn.yaml'));
    expect(s.timeline.map((t) => [t.at, t.do.kind, t.origin])).toEqual([
      [45, 'nodeDown', 'trace[line 3]'],
      [50, 'addNode', 'timeline[0]'],
      [90, 'nodeUp', 'trace[line 5]'],
      [100, 'addNode', 'trace[line 6]'],
    ]);
  });

  it('names the line of every bad row', () => {
    const errors: string[] = [];
    parseTrace(['at,kind,args', '10,nodeDown,node=9x', '20,teleport,node=1', 'soon,nodeUp,node=1', '30,nodeUp', '40,setLatency,from=1;to', '1,2,3,4'].join('\n'), errors);
    expect(errors).toEqual([
      'trace[line 2].do.node: expected number, got "9x"',
      `trace[line 3].do.kind: unknown kind "teleport"; expected one of ${STEP_KINDS.join(', ')}`,
      'trace[line 4].at: expected number, got "soon"',
      'trace[line 5].do.node: required; expected number',
      'trace[line 6].args: cannot read "to"; expected key=value pairs separated by ";", e.g. node=2;availability=60',
      'trace[line 7]: expected 3 columns (at, kind, args), got 4; quote an args cell that holds commas',
    ]);
    // the nodes of a trace are checked with the scenario
    const dir = tempDir();
    writeFileSync(join(dir, 't.csv'), '12,nodeDown,node=9\n');
    const raw = thesis();
    raw.trace = 't.csv';
    expect(problems(raw, join(dir, 's.yaml'))).toEqual(['trace[line 1].do.node: node 9 does not exist; known nodes: 1, 2, 3']);
    raw.trace = 'missing.csv';
    expect(problems(raw, join(dir, 's.yaml'))[0]).toMatch(/^trace: cannot read .*missing\.csv: ENOENT; the path is relative to the scenario file$/);
  });
});

describe('seeded random dynamics', () => {
  const withDynamics = (dynamics: unknown, seed = 42) => parseScenario({ ...thesis(), seed, dynamics });

  it('a latency walk steps every stepS from the link latency; one seed, the same steps', () => {
    const s = withDynamics({ latencyWalk: { sdMs: 50, stepS: 10, links: [{ from: 1, to: 2 }] } });
    const a = expandDynamics(s, 60);
    expect(a.map((t) => t.at)).toEqual([10, 20, 30, 40, 50]);
    expect(a.every((t) => t.do.kind === 'setLatency' && t.do.from === 1 && t.do.to === 2 && t.origin === 'dynamics.latencyWalk')).toBe(true);
    const values = a.map((t) => (t.do.kind === 'setLatency' ? t.do.latencyMs : NaN));
    expect(values.every((v) => Number.isInteger(v) && Math.abs(v - 1000) < 50 * 5 * 5)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(1);
    expect(expandDynamics(s, 60)).toEqual(a);
    // another seed walks elsewhere; dynamics.seed wins over the scenario's
    expect(expandDynamics(withDynamics({ latencyWalk: { sdMs: 50, stepS: 10, links: [{ from: 1, to: 2 }] } }, 7), 60)).not.toEqual(a);
    expect(expandDynamics(withDynamics({ seed: 3, latencyWalk: { sdMs: 50, stepS: 10, links: [{ from: 1, to: 2 }] } }, 7), 60)).toEqual(
      expandDynamics(withDynamics({ seed: 3, latencyWalk: { sdMs: 50, stepS: 10, links: [{ from: 1, to: 2 }] } }, 8), 60),
    );
    // every link by default
    expect(new Set(expandDynamics(withDynamics({ latencyWalk: { sdMs: 5, stepS: 30 } }), 100).map((t) => (t.do.kind === 'setLatency' ? `${t.do.from}-${t.do.to}` : '')))).toEqual(new Set(['1-2', '1-3', '2-3']));
  });

  it('outages alternate down and up per node within the horizon', () => {
    const s = withDynamics({ outages: { mtbfS: 60, mttrS: 10, nodes: [2, 3] }, horizonS: 5000 });
    const steps = expandDynamics(s, 1_000_000);
    expect(Math.max(...steps.map((t) => t.at))).toBeLessThan(5000);
    for (const node of [2, 3]) {
      const mine = steps.filter((t) => 'node' in t.do && t.do.node === node);
      expect(mine.length).toBeGreaterThan(20);
      mine.forEach((t, i) => expect(t.do.kind).toBe(i % 2 === 0 ? 'nodeDown' : 'nodeUp'));
      // mean repair time near mttrS
      const repairs = mine.flatMap((t, i) => (i % 2 === 1 ? [t.at - mine[i - 1].at] : []));
      expect(repairs.reduce((a, b) => a + b, 0) / repairs.length).toBeGreaterThan(4);
      expect(repairs.reduce((a, b) => a + b, 0) / repairs.length).toBeLessThan(20);
    }
    // expanded with the timeline, in time order
    const raw = thesis();
    raw.timeline = [{ at: 100, do: { kind: 'setLatency', from: 1, to: 3, latencyMs: 100 } }];
    raw.dynamics = { outages: { mtbfS: 60, mttrS: 10 } };
    const all = expandTimeline(parseScenario(raw), 300);
    expect(all.map((t) => t.at)).toEqual([...all.map((t) => t.at)].sort((x, y) => x - y));
    expect(all.some((t) => t.origin === 'timeline[0]')).toBe(true);
  });

  it('unknown nodes and links of the dynamics are path-precise errors', () => {
    const raw = thesis();
    raw.dynamics = { latencyWalk: { sdMs: 5, stepS: 1, links: [{ from: 1, to: 8 }] }, outages: { mtbfS: 1, mttrS: 1, nodes: [2, 9] } };
    expect(problems(raw)).toEqual(['dynamics.latencyWalk.links[0].to: node 8 does not exist; known nodes: 1, 2, 3', 'dynamics.outages.nodes[1]: node 9 does not exist; known nodes: 1, 2, 3']);
  });

  it('scenarios/dynamic.yaml has a timeline within two minutes', () => {
    const s = loadScenario('scenarios/dynamic.yaml');
    expect(s.timeline.length).toBeGreaterThanOrEqual(4);
    const kinds = s.timeline.map((t) => t.do.kind);
    expect(kinds).toEqual(expect.arrayContaining(['setLatency', 'nodeDown', 'nodeUp', 'addNode']));
    expect(() => validateTimeline(s, 150)).not.toThrow();
    expect(s.nodes.map((n) => [n.id, n.availability])).toEqual(loadScenario('scenarios/thesis.yaml').nodes.map((n) => [n.id, n.availability]));
  });
});
