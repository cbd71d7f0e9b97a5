import type { ActionType } from '../model/types.js';
import { UserError } from '../model/errors.js';

/**
 * Action labels as the original system wrote them (and the events table stores them):
 * `M{x}_{y}` move the reference copy from node x to y, `C{x}_{y}` copy it from x to y,
 * `CR{y}` change the reference to an existing copy on y, `NA` do nothing; and for a stream app
 * (stream/app/) `S{n}`: run its consumer group with n workers (decision/scale.ts decides n).
 */
export type Action =
  | { type: 'move'; from: number; to: number }
  | { type: 'copy'; from: number; to: number }
  | { type: 'changeRef'; to: number }
  | { type: 'scale'; workers: number }
  | { type: 'none' };

export type { ActionType };

export const NO_ACTION: Action = { type: 'none' };

export function moveAction(from: number, to: number): Action {
  return { type: 'move', from, to };
}
export function copyAction(from: number, to: number): Action {
  return { type: 'copy', from, to };
}
export function changeRefAction(to: number): Action {
  return { type: 'changeRef', to };
}

/** S{n}; n is a whole number >= 1 (zero workers would stop the app, which no rule means). */
export function scaleAction(workers: number): Action {
  if (!Number.isInteger(workers) || workers < 1) throw new UserError(`scale action: workers must be a whole number >= 1, got ${workers}`);
  return { type: 'scale', workers };
}

export function formatAction(a: Action): string {
  switch (a.type) {
    case 'move':
      return `M${a.from}_${a.to}`;
    case 'copy':
      return `C${a.from}_${a.to}`;
    case 'changeRef':
      return `CR${a.to}`;
    case 'scale':
      return `S${a.workers}`;
    case 'none':
      return 'NA';
  }
}

/** The decimal number of s[from, to), or -1 when that is empty or not all digits. */
function digitsAt(s: string, from: number, to: number): number {
  if (from >= to) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Parses a label (NA, CR{y}, M{x}_{y}, C{x}_{y}, S{n}); undefined when it is not one. By hand rather
 * than by regular expression: the virtual-time engine parses one per candidate (sim/impacts.ts).
 */
export function tryParseAction(label: string): Action | undefined {
  const s = label.trim();
  if (s === 'NA') return NO_ACTION;
  const head = s.charCodeAt(0);
  if (head === 83 /* S */) {
    const n = digitsAt(s, 1, s.length);
    return n < 1 ? undefined : scaleAction(n);
  }
  if (head === 67 /* C */ && s.charCodeAt(1) === 82 /* R */) {
    const to = digitsAt(s, 2, s.length);
    return to < 0 ? undefined : changeRefAction(to);
  }
  if (head !== 77 /* M */ && head !== 67 /* C */) return undefined;
  const sep = s.indexOf('_');
  const from = sep < 0 ? -1 : digitsAt(s, 1, sep);
  const to = from < 0 ? -1 : digitsAt(s, sep + 1, s.length);
  if (to < 0 || from === to) return undefined;
  return head === 77 ? moveAction(from, to) : copyAction(from, to);
}

/** Parses a label; a UserError says what a label looks like. */
export function parseAction(label: string): Action {
  const a = tryParseAction(label);
  if (!a) {
    throw new UserError(
      `unknown action label ${JSON.stringify(label)}; expected M{x}_{y} (move), C{x}_{y} (copy), CR{y} (change reference), S{n} (scale a stream app to n >= 1 workers) or NA, with x != y node ids`,
    );
  }
  return a;
}

/**
 * The label whose impact vector an action is scored with: CR{y} has no vector of its own at
 * decision time and borrows the vector of the move from the current data node d to y.
 */
export function vectorLabelFor(a: Action, dataNode: number): string {
  return a.type === 'changeRef' ? formatAction(moveAction(dataNode, a.to)) : formatAction(a);
}
