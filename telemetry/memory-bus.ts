import type { TelemetryMessage, TelemetryPublisher, TelemetrySubscriber, TelemetryTopic } from './bus.js';
import { makeMessage } from './codec.js';
import { createLogger, type Logger } from '../util/logger.js';

type Handler = (m: TelemetryMessage) => void;

/**
 * In-process telemetry: nodes and controller in one process (tests, embedded single-process use).
 * Delivery is asynchronous (microtask) like the real buses, so a publisher never runs a
 * subscriber's code inside its own call and a throwing handler cannot reach the publisher.
 */
export class MemoryTelemetryBus implements TelemetryPublisher, TelemetrySubscriber {
  private handlers = new Set<Handler>();
  private closed = false;
  /** messages published (kept for tests and late subscribers, bounded) */
  readonly history: TelemetryMessage[] = [];
  private readonly log: Logger;

  constructor(private readonly opts: { historyLimit?: number; logger?: Logger } = {}) {
    this.log = opts.logger ?? createLogger('telemetry');
  }

  publish(topic: TelemetryTopic, key: string, payload: unknown): void {
    if (this.closed) return;
    const m = makeMessage(topic, key, payload);
    this.history.push(m);
    const limit = this.opts.historyLimit ?? 1000;
    if (this.history.length > limit) this.history.splice(0, this.history.length - limit);
    for (const h of this.handlers) queueMicrotask(() => this.deliver(h, m));
  }

  async subscribe(handler: Handler): Promise<void> {
    this.handlers.add(handler);
  }

  /** A publisher view, so nodes can be handed the bus without the subscriber half. */
  publisher(): TelemetryPublisher {
    return { publish: (t, k, p) => this.publish(t, k, p), close: async () => {} };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
  }

  private deliver(h: Handler, m: TelemetryMessage): void {
    try {
      h(m);
    } catch (e) {
      this.log.warn({ err: e, topic: m.topic }, 'telemetry handler failed; message skipped');
    }
  }
}
