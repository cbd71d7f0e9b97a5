import type { EventClosure } from '../db/store.js';
import type { EventRow } from '../model/types.js';

/**
 * External feedback left on an open event at time t (docs/architecture.md): p = 1 - (t - created)/T.
 * Fresh events get ~1 (the action most likely caused the violation), old ones ~0.
 * Clamped to [0, 1] so a clock skew between nodes cannot produce values outside the range.
 */
export function feedbackValue(nowMs: number, createdAtMs: number, windowMs: number): number {
  if (!(windowMs > 0)) throw new Error(`feedback window must be > 0, got ${windowMs}`);
  return Math.min(1, Math.max(0, 1 - (nowMs - createdAtMs) / windowMs));
}

export interface ClosureParams {
  /** apps in the system when the event closes (the store's apps, added ones included) */
  appCount: number;
  feedbackThreshold: number;
}

/**
 * The apps that could have left feedback on an event: every app but the one that acted. The one
 * definition of the divisor of the global feedback.
 */
export function otherApps(appCount: number): number {
  return Math.max(0, appCount - 1);
}

/**
 * Closing an event (docs/architecture.md): global feedback = sum / (other apps); the
 * action's counter goes up by one when the community judged it harmful (>= threshold), else down
 * by one. The floor at zero is applied by the store, atomically with the close.
 */
export function closeEvent(e: Pick<EventRow, 'sumFeedback'>, p: ClosureParams): EventClosure {
  const others = otherApps(p.appCount);
  const globalFeedback = others > 0 ? e.sumFeedback / others : 0;
  return { globalFeedback, counterDelta: globalFeedback >= p.feedbackThreshold ? 1 : -1 };
}

/** The counter after a change: never below zero. */
export function applyCounter(current: number, delta: number): number {
  return Math.max(0, current + delta);
}
