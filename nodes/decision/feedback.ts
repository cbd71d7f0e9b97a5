import type { EventClosure } from '../../db/store.js';
import type { EventRow } from '../../model/types.js';

/**
 * External feedback left on an open event at time t (DESIGN 7.2): p = 1 - (t - created)/T.
 * Fresh events get ~1 (the action most likely caused the violation), old ones ~0.
 * Clamped to [0, 1] so a clock skew between nodes cannot produce values outside the range.
 */
export function feedbackValue(nowMs: number, createdAtMs: number, windowMs: number): number {
  if (!(windowMs > 0)) throw new Error(`feedback window must be > 0, got ${windowMs}`);
  return Math.min(1, Math.max(0, 1 - (nowMs - createdAtMs) / windowMs));
}

export interface ClosureParams {
  /** number of apps in the system; feedback comes from the other apps - 1 */
  appCount: number;
  feedbackThreshold: number;
}

/**
 * Closing an event (DESIGN 7.7): global feedback = sum / (apps - 1); the action's counter goes
 * up by one when the community judged it harmful (>= threshold), else down by one. The floor
 * at zero is applied by the store with `applyCounter` semantics, atomically with the close.
 */
export function closeEvent(e: Pick<EventRow, 'sumFeedback'>, params: ClosureParams): EventClosure;
/** The same, with the app count and the scenario's decision parameters given apart. */
export function closeEvent(e: Pick<EventRow, 'sumFeedback'>, appCount: number, decision: { feedbackThreshold: number }): EventClosure;
export function closeEvent(e: Pick<EventRow, 'sumFeedback'>, a: ClosureParams | number, decision?: { feedbackThreshold: number }): EventClosure {
  const p: ClosureParams = typeof a === 'number' ? { appCount: a, feedbackThreshold: decision!.feedbackThreshold } : a;
  const others = p.appCount - 1;
  const globalFeedback = others > 0 ? e.sumFeedback / others : 0;
  return { globalFeedback, counterDelta: globalFeedback >= p.feedbackThreshold ? 1 : -1 };
}

/** The counter after a change: never below zero. */
export function applyCounter(current: number, delta: number): number {
  return Math.max(0, current + delta);
}
