/*
 * Failpoints for the fault suite (test/faults/): a named spot in the node where a test kills the
 * process with SIGKILL. The actuator cannot be killed at a chosen step by timing alone (a
 * server-side copy takes milliseconds), so with FOGSIM_FAILPOINT=<name> the node, on reaching
 * that spot the first time, writes its pid to FOGSIM_FAILPOINT_FILE and waits there for its kill.
 * The file also marks the failpoint as spent: the restarted node passes it.
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { FailpointConfig, FailpointName } from '../util/config.js';

/** Awaited at each failpoint; resolves at once unless it is the armed one. */
export type Failpoint = (name: FailpointName) => Promise<void>;

export const noFailpoint: Failpoint = async () => undefined;

/** How long an armed node waits for its kill before going on (a test that forgot it must not hang the node). */
const HOLD_MS = 60_000;

export function failpointFrom(cfg: FailpointConfig | undefined): Failpoint {
  if (!cfg) return noFailpoint;
  return async (name) => {
    if (name !== cfg.name || existsSync(cfg.file)) return;
    writeFileSync(cfg.file, `${process.pid}\n`);
    await new Promise((r) => setTimeout(r, HOLD_MS));
  };
}
