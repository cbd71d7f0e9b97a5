import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { ProcessRuntime } from '../../../controller/runtime/process-runtime.js';

async function until(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('process runtime', () => {
  it('reports a crashed node, restarts it, forwards its telemetry and stops it', async () => {
    const rt = new ProcessRuntime({ entry: 'test/controller/fixtures/crashing-node.mjs', restartDelayMs: 50 });
    const messages: unknown[] = [];
    rt.on('telemetry', (m) => messages.push(m));
    const mark = join(mkdtempSync(join(tmpdir(), 'fogsim-rt-')), 'crashed');
    const crashed = once(rt, 'crash');
    const restarted = once(rt, 'restart');
    await rt.start({ appId: 7, env: { FOGSIM_APP_ID: '7', FOGSIM_CRASH_FILE: mark } });
    const [status, gaveUp] = await crashed;
    expect(status).toMatchObject({ appId: 7, state: 'restarting' });
    expect(status.lastExit.code).toBe(3);
    expect(gaveUp).toBe(false);
    const [after] = await restarted;
    expect(after).toMatchObject({ appId: 7, state: 'running', restarts: 1 });
    // one message from the first life, one from the second
    await until(() => messages.length >= 2);
    expect(messages.length).toBeGreaterThanOrEqual(2);
    await rt.stopAll();
    expect(rt.list()).toEqual([expect.objectContaining({ appId: 7, state: 'stopped' })]);
  });

  it('gives up on a node that keeps crashing', async () => {
    const rt = new ProcessRuntime({ entry: 'test/controller/fixtures/crashing-node.mjs', restartDelayMs: 10, maxCrashes: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'fogsim-rt-'));
    const events: boolean[] = [];
    rt.on('crash', (_s, gaveUp) => events.push(gaveUp));
    // a new mark file per start is not possible, so crash on every start: point the mark into a missing folder
    await rt.start({ appId: 1, env: { FOGSIM_APP_ID: '1', FOGSIM_CRASH_FILE: join(dir, 'missing', 'x') } });
    await until(() => events.includes(true));
    expect(rt.list()[0].state).toBe('failed');
    expect(events).toEqual([false, true]);
    expect(events.at(-1)).toBe(true);
    await rt.stopAll();
  });
});
