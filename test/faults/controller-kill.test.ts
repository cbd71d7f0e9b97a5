import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../db/open.js';
import { readInfraConfig } from '../../util/config.js';
import { waitUntil } from '../helpers/cli.js';
import { upSession, writeFaultScenario, type Session } from './scenarios.js';

/*
 * kill -9 of the controller with events open (issue 18, item 9): its nodes stop (their IPC
 * channel closed), the events stay open in the store past their window; a new `fogsim up` on the
 * same data folder closes them with the global feedback of DESIGN §7 (the sum of the feedback
 * rows / (apps - 1)), and every counter is the fold of the closed events' verdicts in order
 * (+1 at >= 0.3, else -1, never below 0): none closed twice, none lost.
 */
const work = mkdtempSync(join(tmpdir(), 'fogsim-faults-ctl-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const WINDOW_MS = 4000;
const APPS = 2;
const THRESHOLD = 0.3;

interface ApiEvent {
  id: number;
  active: boolean;
  closesAtMs: number;
  feedback: { appId: number; value: number }[];
}

/** Child processes of `pid` (the node processes of a controller). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('fault: kill -9 of the controller with events open', () => {
  it('after a restart on the same data folder the open events close with the right global feedback and counters', async () => {
    const dataDir = join(work, 'data');
    const scenario = await writeFaultScenario(dataDir, 'tug', WINDOW_MS);
    let s: Session | undefined = await upSession(dataDir, scenario);
    let open: ApiEvent[];
    try {
      // an open event that already has feedback from the other app
      open = await waitUntil('an open event with feedback', async () => {
        const items = (await s!.api<{ items: ApiEvent[] }>('/events?active=true')).items;
        return items.some((e) => e.feedback.length > 0) ? items : undefined;
      }, 50_000, 50);
      const nodes = childrenOf(s.proc.pid);
      await s.proc.kill9();
      // the nodes notice the channel close and stop; none may write after the restart's checks
      await waitUntil('the orphaned nodes to exit', () => nodes.every((p) => !alive(p)), 20_000);
    } catch (e) {
      await s.proc.stop();
      throw e;
    }
    // past every open event's window: the restarted session finds them overdue
    const latest = Math.max(...open.map((e) => e.closesAtMs));
    await new Promise((r) => setTimeout(r, Math.max(0, latest - Date.now() + 200)));
    s = await upSession(dataDir, scenario);
    try {
      for (const e of open) await waitUntil(`event ${e.id} to close`, async () => !(await s!.api<ApiEvent>(`/events/${e.id}`)).active, 20_000);
    } finally {
      await s.proc.stop();
    }

    // the stopped session's store, read directly: nothing changes it any more
    const store = await openStore(readInfraConfig({ FOGSIM_DATA_DIR: dataDir }));
    try {
      const events = (await store.listEvents({ limit: 10_000 })).sort((a, b) => a.id - b.id);
      const feedback = await store.listFeedback();
      for (const o of open) expect(events.find((e) => e.id === o.id)?.active, `event ${o.id}`).toBe(false);
      expect(open.some((o) => feedback.some((f) => f.eventId === o.id))).toBe(true);
      const counters: Record<string, number> = {};
      for (const e of events.filter((x) => !x.active)) {
        const sum = feedback.filter((f) => f.eventId === e.id).reduce((a, f) => a + f.value, 0);
        expect(e.sumFeedback, `event ${e.id} sum_feedback`).toBeCloseTo(sum, 9);
        expect(e.globalFeedback, `event ${e.id} global_feedback`).toBeCloseTo(sum / (APPS - 1), 9);
        const c = counters[e.actionLabel] ?? 0;
        counters[e.actionLabel] = e.globalFeedback! >= THRESHOLD ? c + 1 : Math.max(0, c - 1);
      }
      const stored = await store.getCounters();
      for (const [label, value] of Object.entries(counters)) expect(stored[label] ?? 0, `counter ${label}`).toBe(value);
    } finally {
      await store.close();
    }
  }, 120_000);
});
