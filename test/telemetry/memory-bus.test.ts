import { describe, expect, it } from 'vitest';
import { MemoryTelemetryBus } from '../../telemetry/memory-bus.js';
import type { TelemetryMessage } from '../../telemetry/bus.js';
import { captureLogger } from './helpers.js';

describe('MemoryTelemetryBus', () => {
  it('delivers asynchronously, in order, with schema version and key', async () => {
    const bus = new MemoryTelemetryBus({ logger: captureLogger().logger });
    const got: TelemetryMessage[] = [];
    await bus.subscribe((m) => got.push(m));
    const pub = bus.publisher();
    pub.publish('runs', '1', { rtMs: 5 });
    pub.publish('events', '2', { action: 'NA' });
    expect(got).toEqual([]); // not inside publish()
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(got.map((m) => [m.v, m.topic, m.key])).toEqual([
      [1, 'runs', '1'],
      [1, 'events', '2'],
    ]);
  });

  it('a throwing subscriber never reaches the publisher or the other subscribers', async () => {
    const { logger, text } = captureLogger();
    const bus = new MemoryTelemetryBus({ logger });
    let ok = 0;
    await bus.subscribe(() => {
      throw new Error('boom');
    });
    await bus.subscribe(() => ok++);
    expect(() => bus.publish('feedback', '3', {})).not.toThrow();
    await new Promise((r) => setImmediate(r));
    expect(ok).toBe(1);
    expect(text()).toContain('handler failed');
  });

  it('keeps a bounded history and stops after close', async () => {
    const bus = new MemoryTelemetryBus({ historyLimit: 10, logger: captureLogger().logger });
    for (let i = 0; i < 25; i++) bus.publish('runs', '1', { i });
    expect(bus.history.map((m) => (m.payload as { i: number }).i)).toEqual([...Array(10).keys()].map((k) => k + 15));
    let n = 0;
    await bus.subscribe(() => n++);
    await bus.close();
    bus.publish('runs', '1', {});
    await new Promise((r) => setImmediate(r));
    expect(n).toBe(0);
  });
});
