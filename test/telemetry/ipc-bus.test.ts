import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IpcTelemetryPublisher, IpcTelemetrySubscriber } from '../../telemetry/ipc-bus.js';
import type { TelemetryMessage } from '../../telemetry/bus.js';
import { captureLogger } from './helpers.js';

const child = fileURLToPath(new URL('./fixtures/ipc-node.ts', import.meta.url));
const spawnNode = (...args: string[]) => fork(child, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const exited = (c: ReturnType<typeof spawnNode>) => new Promise<number | null>((r) => c.once('exit', (code) => r(code)));

describe('IPC telemetry through a real child process', () => {
  it('delivers every message of a node in order, and ignores non-telemetry and other schema versions', async () => {
    const { logger, text } = captureLogger();
    const sub = new IpcTelemetrySubscriber({ logger });
    const got: TelemetryMessage[] = [];
    await sub.subscribe((m) => got.push(m));
    const c = spawnNode('50');
    sub.attach(c);
    expect(await exited(c)).toBe(0);
    expect(got.map((m) => m.topic)).toEqual([...Array(50).fill('runs'), 'events', 'feedback']);
    expect(got.slice(0, 50).map((m) => (m.payload as { seq: number }).seq)).toEqual([...Array(50).keys()]);
    expect(got[4]).toMatchObject({ v: 1, topic: 'runs', key: '2', payload: { seq: 4, rtMs: 14 } });
    expect(got[51]).toMatchObject({ key: '3', payload: { eventId: 7, value: 0.5 } });
    expect(sub.received).toBe(52);
    expect(sub.rejected).toBe(1);
    expect(text()).toContain('telemetry message rejected');
  });

  it('a throwing handler does not stop the other handlers', async () => {
    const sub = new IpcTelemetrySubscriber({ logger: captureLogger().logger });
    let ok = 0;
    await sub.subscribe(() => {
      throw new Error('dashboard bug');
    });
    await sub.subscribe(() => ok++);
    const c = spawnNode('5');
    sub.attach(c);
    await exited(c);
    expect(ok).toBe(7);
  });

  it('detach stops delivery', async () => {
    const sub = new IpcTelemetrySubscriber({ logger: captureLogger().logger });
    const got: TelemetryMessage[] = [];
    await sub.subscribe((m) => got.push(m));
    const c = spawnNode('5');
    sub.attach(c)();
    await exited(c);
    expect(got).toEqual([]);
  });

  it('a node whose controller went away keeps running: publish drops and counts, never throws', async () => {
    const c = spawnNode('20', 'disconnect');
    expect(await exited(c)).toBe(0);
  });

  it('without any IPC channel, publish drops, counts and logs once', () => {
    const { logger, lines } = captureLogger();
    const pub = new IpcTelemetryPublisher({ channel: {}, logger });
    for (let i = 0; i < 10; i++) pub.publish('runs', '1', { i });
    expect(pub.dropped).toBe(10);
    expect(lines.filter((l) => l.includes('dropping telemetry'))).toHaveLength(1);
  });

  it('a payload the channel cannot carry is dropped, not thrown', () => {
    const pub = new IpcTelemetryPublisher({
      channel: {
        connected: true,
        send: () => {
          throw new TypeError('cannot serialise');
        },
      },
      logger: captureLogger().logger,
    });
    expect(() => pub.publish('runs', '1', { big: 1n })).not.toThrow();
    expect(pub.dropped).toBe(1);
  });
});
