/*
 * The community's side of an event (docs/architecture.md): feedback left by a
 * violated app on the open events of others, and the closing of overdue events with their global
 * feedback and counter change. Shared by the node loop and the controller's closer, so the
 * divisor of the global feedback is counted in one way (the store's apps).
 */
import type { EventScope, Store } from '../db/store.js';
import type { DecisionParams, TimingParams } from '../model/scenario.js';
import type { DatasetCopy, EventRow, FeedbackRow } from '../model/types.js';
import { closeEvent, feedbackValue } from '../decision/feedback.js';

/** Closes every overdue event (any node or the controller may; each closes once). */
export async function closeDueEvents(store: Store, nowMs: number, decision: Pick<DecisionParams, 'feedbackThreshold'>): Promise<EventRow[]> {
  const appCount = (await store.listApps()).length;
  return store.closeDueEvents(nowMs, (e) => closeEvent(e, { appCount, feedbackThreshold: decision.feedbackThreshold }));
}

/** Which open events a violated app answers: those on the copy it reads (the original), or on its whole family. */
export function feedbackScope(copy: Pick<DatasetCopy, 'id' | 'familyId'>, scope: DecisionParams['feedbackScope']): EventScope {
  return scope === 'family' ? { familyId: copy.familyId } : { copyId: copy.id };
}

/** Feedback p = 1 - (t - created)/T on every open event in scope, once per app; returns the rows written. */
export async function leaveFeedback(
  store: Store,
  o: { appId: number; copy: Pick<DatasetCopy, 'id' | 'familyId'>; nowMs: number; decision: Pick<DecisionParams, 'feedbackScope'>; timing: Pick<TimingParams, 'feedbackWindowMs'> },
): Promise<FeedbackRow[]> {
  const given: FeedbackRow[] = [];
  for (const e of await store.listOpenEvents(o.nowMs, feedbackScope(o.copy, o.decision.feedbackScope), o.appId)) {
    const f = { eventId: e.id, appId: o.appId, value: feedbackValue(o.nowMs, e.createdAtMs, o.timing.feedbackWindowMs), createdAtMs: o.nowMs };
    if (await store.addFeedback(f)) given.push(f);
  }
  return given;
}
