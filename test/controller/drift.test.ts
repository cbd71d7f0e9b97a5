import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../model/scenario.js';
import { describeDrift, driftFrom } from '../../controller/drift.js';

const s = loadScenario('scenarios/thesis.yaml');
const nodes = () => s.nodes.map((n) => ({ id: n.id, name: n.name, availability: n.availability, storage: n.storage }));
const links = () => s.links.flatMap((l) => [{ from: l.from, to: l.to, latencyMs: l.latencyMs }, { from: l.to, to: l.from, latencyMs: l.latencyMs }]);

describe('drift of the store from the scenario file (controller/drift.ts)', () => {
  it('none when the store holds what the file says; a node added at run time is not drift', () => {
    expect(driftFrom(s, [...nodes(), { id: 4, name: 'node4', availability: 50, storage: true }], links())).toEqual([]);
  });

  it('names each changed availability, storage and latency once, with both values', () => {
    const n = nodes().map((x) => (x.id === 2 ? { ...x, availability: 61, storage: false } : x));
    const l = links().map((x) => ((x.from === 1 && x.to === 3) || (x.from === 3 && x.to === 1) ? { ...x, latencyMs: 1111 } : x));
    const d = driftFrom(s, n, l);
    expect(d).toEqual([
      { what: 'node 2 availability', file: 80, store: 61 },
      { what: 'node 2 storage', file: true, store: false },
      { what: 'link 1-3 latencyMs', file: 1500, store: 1111 },
    ]);
    expect(describeDrift(d, 'thesis.yaml')).toMatch(/^the store differs from thesis\.yaml in 3 place\(s\), kept .*--reset.*: node 2 availability 61 \(file 80\)/);
  });

  it('a node or app of the file the admin deleted is removed; a node gone without a removal is missing', () => {
    const removals = [
      { kind: 'node' as const, id: 3, removedAtMs: 1 },
      { kind: 'app' as const, id: 3, removedAtMs: 1 },
      { kind: 'app' as const, id: 9, removedAtMs: 1 }, // an app added at run time, not the file's: not drift
    ];
    const kept = nodes().filter((n) => n.id !== 3);
    const l = links().filter((x) => x.from !== 3 && x.to !== 3);
    expect(driftFrom(s, kept, l, removals)).toEqual([
      { what: 'node 3', file: 'present', store: 'removed' },
      { what: 'app 3', file: 'present', store: 'removed' },
    ]);
    expect(driftFrom(s, kept, l)).toEqual([{ what: 'node 3', file: 'present', store: 'missing' }]);
  });
});
