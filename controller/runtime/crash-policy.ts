import type { EventEmitter } from 'node:events';
import type { NodeStatus } from './runtime.js';

/** When a node that died unexpectedly is brought back, and when it is given up on. */
export interface CrashPolicy {
  /** delay before bringing a crashed node back */
  restartDelayMs: number;
  /** a node that crashes this many times within `crashWindowMs` is given up on */
  maxCrashes: number;
  crashWindowMs: number;
}

export const DEFAULT_CRASH_POLICY: CrashPolicy = { restartDelayMs: 1000, maxCrashes: 5, crashWindowMs: 60_000 };

/** What a runtime keeps of each node for the policy. */
export interface WatchedNode {
  status: NodeStatus;
  crashTimes: number[];
  stopping: boolean;
  restartTimer?: NodeJS.Timeout;
}

/**
 * The one crash rule of every runtime: report the crash ('crash', status, gaveUp) and, unless
 * the node crashed too often or said why it exits (`status.error`: a restart would fail the same
 * way), call `restart` after the delay (counting the restart).
 */
export function handleCrash(runtime: EventEmitter, m: WatchedNode, policy: CrashPolicy, restart: () => void): void {
  const now = Date.now();
  m.crashTimes = m.crashTimes.filter((t) => now - t < policy.crashWindowMs).concat(now);
  if (m.status.error !== undefined || m.crashTimes.length >= policy.maxCrashes) {
    m.status.state = 'failed';
    runtime.emit('crash', { ...m.status }, true);
    return;
  }
  m.status.state = 'restarting';
  runtime.emit('crash', { ...m.status }, false);
  m.restartTimer = setTimeout(() => {
    if (m.stopping) return;
    m.status.restarts += 1;
    restart();
  }, policy.restartDelayMs);
}
