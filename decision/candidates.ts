import type { DatasetCopy } from '../model/types.js';
import { changeRefAction, copyAction, formatAction, moveAction, NO_ACTION, vectorLabelFor, type Action } from './actions.js';

export interface Candidate {
  action: Action;
  label: string;
  /** label of the impact vector it is scored with (CR{y} borrows M{d}_{y}) */
  vectorLabel: string;
  /** for CR{y}: the copy it would reference */
  targetCopyId?: number;
}

export interface CandidateInput {
  /** d: node of the app's reference copy */
  dataNode: number;
  /** id of the app's reference copy (so CR never points at it) */
  referenceCopyId: number;
  /** every copy of the reference's family, the reference included */
  familyCopies: readonly Pick<DatasetCopy, 'id' | 'nodeId'>[];
  nodes: readonly { id: number; storage: boolean }[];
  /** k: a copy is offered only while the family has fewer than 1 + k copies (DC stays >= 0) */
  maxCopies: number;
}

/**
 * docs/architecture.md: NA; M{d}_{y} and C{d}_{y} for every other storage node y that holds no copy of the
 * family yet (a second copy on the same node would be pointless and would share one object key);
 * CR{y} for every other existing copy of the family.
 */
export function candidateActions(input: CandidateInput): Candidate[] {
  const { dataNode, familyCopies, nodes } = input;
  const occupied = new Set(familyCopies.map((c) => c.nodeId));
  const canCopy = familyCopies.length < 1 + input.maxCopies;
  const out: Candidate[] = [mk(NO_ACTION, dataNode)];
  const targets = nodes.filter((n) => n.storage && n.id !== dataNode && !occupied.has(n.id)).map((n) => n.id).sort((a, b) => a - b);
  for (const y of targets) out.push(mk(moveAction(dataNode, y), dataNode));
  if (canCopy) for (const y of targets) out.push(mk(copyAction(dataNode, y), dataNode));
  const others = familyCopies.filter((c) => c.id !== input.referenceCopyId && c.nodeId !== dataNode);
  // one CR per node: should two copies ever share a node, the oldest (lowest id) wins
  const byNode = new Map<number, number>();
  for (const c of [...others].sort((a, b) => a.id - b.id)) if (!byNode.has(c.nodeId)) byNode.set(c.nodeId, c.id);
  for (const [y, id] of [...byNode].sort((a, b) => a[0] - b[0])) out.push({ ...mk(changeRefAction(y), dataNode), targetCopyId: id });
  return out;
}

function mk(action: Action, dataNode: number): Candidate {
  return { action, label: formatAction(action), vectorLabel: vectorLabelFor(action, dataNode) };
}

/**
 * Every impact vector an app may need over its lifetime: M and C for each ordered pair of
 * storage nodes and CR{y} for each storage node (the data can end up anywhere by moves).
 */
export function requiredImpactLabels(nodes: readonly { id: number; storage: boolean }[]): string[] {
  const ids = nodes.filter((n) => n.storage).map((n) => n.id).sort((a, b) => a - b);
  const out: string[] = [];
  for (const x of ids) for (const y of ids) if (x !== y) out.push(formatAction(moveAction(x, y)), formatAction(copyAction(x, y)));
  for (const y of ids) out.push(formatAction(changeRefAction(y)));
  return out;
}
