import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../model/errors.js';
import { labelNamesNode, planNodeRemoval } from '../../model/removal.js';
import type { DatasetCopy, LinkRow } from '../../model/types.js';

const goal = { metric: 'latency', max: 5 } as const;
const copy = (id: number, nodeId: number, familyId = 1): DatasetCopy => ({ id, familyId, nodeId, bucket: `node-${nodeId}`, objectKey: `k${id}`, version: 1, createdAtMs: id });
const links = (pairs: [number, number, number][]): LinkRow[] => pairs.flatMap(([from, to, latencyMs]) => [{ from, to, latencyMs }, { from: to, to: from, latencyMs }]);

describe('planNodeRemoval', () => {
  it('re-points a reader to the nearest remaining copy of its family, not the oldest', () => {
    const plan = planNodeRemoval(
      3,
      [{ id: 1, nodeId: 1, goal, datasetId: 30 }],
      [copy(10, 2), copy(20, 4), copy(30, 3)],
      links([[1, 2, 900], [1, 4, 100], [1, 3, 50], [2, 4, 10], [2, 3, 10], [3, 4, 10]]),
    );
    expect(plan.repointed).toEqual([{ app: 1, from: { copy: 30, node: 3 }, to: { copy: 20, node: 4 } }]);
    expect(plan.copies.map((c) => c.id)).toEqual([30]);
  });

  it('a copy of another family does not save the last one of a family', () => {
    expect(() => planNodeRemoval(3, [{ id: 1, nodeId: 1, goal, datasetId: 30 }], [copy(10, 2, 9), copy(30, 3, 1)], [])).toThrow(ConflictError);
  });

  it("the node's own apps do not hold its copies: they go with it", () => {
    const plan = planNodeRemoval(3, [{ id: 3, nodeId: 3, goal, datasetId: 30 }], [copy(30, 3)], []);
    expect(plan).toMatchObject({ apps: [3], repointed: [], copies: [{ id: 30 }] });
  });
});

describe('labelNamesNode', () => {
  it('names the node as source or target of a move or copy, or target of a change of reference; not a node whose id merely starts the same', () => {
    expect(['M3_1', 'C1_3', 'CR3', 'M2_1', 'M13_1', 'CR31', 'NA', 'junk'].map((l) => labelNamesNode(l, 3))).toEqual([true, true, true, false, false, false, false, false]);
  });
});
