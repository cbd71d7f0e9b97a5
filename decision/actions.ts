import type { ActionType } from '../model/types.js';
import { UserError } from '../model/errors.js';

/**
 * Action labels as the original system wrote them (and the events table stores them):
 * `M{x}_{y}` move the reference copy from node x to y, `C{x}_{y}` copy it from x to y,
 * `CR{y}` change the reference to an existing copy on y, `NA` do nothing.
 */
export type Action =
  | { type: 'move'; from: number; to: number }
  | { type: 'copy'; from: number; to: number }
  | { type: 'changeRef'; to: number }
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

export function formatAction(a: Action): string {
  switch (a.type) {
    case 'move':
      return `M${a.from}_${a.to}`;
    case 'copy':
      return `C${a.from}_${a.to}`;
    case 'changeRef':
      return `CR${a.to}`;
    case 'none':
      return 'NA';
  }
}

const PAIR = /^(M|C)(\d+)_(\d+)$/;
const CR = /^CR(\d+)$/;

/** Parses a label; undefined when it is not one. */
export function tryParseAction(label: string): Action | undefined {
  const s = label.trim();
  if (s === 'NA') return NO_ACTION;
  const cr = CR.exec(s);
  if (cr) return changeRefAction(Number(cr[1]));
  const p = PAIR.exec(s);
  if (p) {
    const from = Number(p[2]);
    const to = Number(p[3]);
    if (from === to) return undefined;
    return p[1] === 'M' ? moveAction(from, to) : copyAction(from, to);
  }
  return undefined;
}

/** Parses a label; a UserError says what a label looks like. */
export function parseAction(label: string): Action {
  const a = tryParseAction(label);
  if (!a) {
    throw new UserError(
      `unknown action label ${JSON.stringify(label)}; expected M{x}_{y} (move), C{x}_{y} (copy), CR{y} (change reference) or NA, with x != y node ids`,
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
