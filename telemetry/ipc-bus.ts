import type { TelemetryMessage, TelemetryPublisher, TelemetrySubscriber, TelemetryTopic } from './bus.js';
import { checkMessage, makeMessage } from './codec.js';
import { createLogger, type Logger } from '../util/logger.js';

/** Envelope on the IPC channel, so telemetry is told apart from any other message a child sends. */
export interface IpcTelemetryEnvelope {
  fogsimTelemetry: TelemetryMessage;
}

export function isIpcTelemetryEnvelope(x: unknown): x is IpcTelemetryEnvelope {
  return typeof x === 'object' && x !== null && 'fogsimTelemetry' in x;
}

/** The part of process / ChildProcess the IPC publisher needs (injectable for tests). */
export interface IpcChannel {
  connected?: boolean;
  send?(message: unknown, callback?: (error: Error | null) => void): boolean;
}

/**
 * Node side of the embedded bus: each message goes to the parent (the controller) through
 * Node's IPC channel. publish() never throws: with no channel (a node started by hand) or a
 * closed one (the controller is gone), messages are dropped and counted, logged once.
 * The IPC channel queues in the parent-child pipe itself, so there is no buffer of our own.
 */
export class IpcTelemetryPublisher implements TelemetryPublisher {
  sent = 0;
  dropped = 0;
  private warned = false;
  private closed = false;
  private readonly log: Logger;
  private readonly channel: IpcChannel;

  constructor(opts: { channel?: IpcChannel; logger?: Logger } = {}) {
    this.channel = opts.channel ?? process;
    this.log = opts.logger ?? createLogger('telemetry');
  }

  publish(topic: TelemetryTopic, key: string, payload: unknown): void {
    if (this.closed) return;
    const ch = this.channel;
    if (!ch.send || ch.connected === false) return this.drop('no IPC channel to the controller');
    const envelope: IpcTelemetryEnvelope = { fogsimTelemetry: makeMessage(topic, key, payload) };
    try {
      ch.send(envelope, (err) => {
        if (err) this.drop(`IPC send failed: ${err.message}`);
      });
      this.sent++;
    } catch (e) {
      // send() throws synchronously for values it cannot serialise or a channel closed mid-call.
      this.drop(`IPC send failed: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.dropped) this.log.warn({ dropped: this.dropped }, 'telemetry closed; some messages never reached the controller');
  }

  private drop(reason: string): void {
    this.dropped++;
    if (!this.warned) {
      this.warned = true;
      this.log.warn({ reason }, 'telemetry over IPC unavailable; dropping telemetry (the store still has every run)');
    }
  }
}

/** The part of ChildProcess the subscriber listens on. */
export interface IpcSource {
  on(event: 'message', listener: (msg: unknown) => void): unknown;
  off(event: 'message', listener: (msg: unknown) => void): unknown;
  once(event: 'exit', listener: () => void): unknown;
}

/**
 * Controller side of the embedded bus: attach each node's child process; its telemetry messages
 * are validated and handed to the subscribers. accept() takes a raw message from code that
 * already listens on the child (the process runtime's 'telemetry' event).
 */
export class IpcTelemetrySubscriber implements TelemetrySubscriber {
  private handlers = new Set<(m: TelemetryMessage) => void>();
  private detachers = new Set<() => void>();
  received = 0;
  rejected = 0;
  private readonly log: Logger;

  constructor(opts: { logger?: Logger } = {}) {
    this.log = opts.logger ?? createLogger('telemetry');
  }

  async subscribe(handler: (m: TelemetryMessage) => void): Promise<void> {
    this.handlers.add(handler);
  }

  /** Listens to a child's IPC messages until it exits or detach is called. Returns detach. */
  attach(child: IpcSource): () => void {
    const listener = (msg: unknown) => {
      if (isIpcTelemetryEnvelope(msg)) this.accept(msg);
    };
    child.on('message', listener);
    const detach = () => {
      child.off('message', listener);
      this.detachers.delete(detach);
    };
    this.detachers.add(detach);
    child.once('exit', detach);
    return detach;
  }

  /** Feeds one raw IPC message; returns whether it was telemetry and accepted. */
  accept(raw: unknown): boolean {
    if (!isIpcTelemetryEnvelope(raw)) return false;
    const m = checkMessage(raw.fogsimTelemetry);
    if (typeof m === 'string') {
      this.rejected++;
      this.log.warn({ reason: m }, 'telemetry message rejected');
      return false;
    }
    this.received++;
    for (const h of this.handlers) {
      try {
        h(m);
      } catch (e) {
        this.log.warn({ err: e, topic: m.topic }, 'telemetry handler failed; message skipped');
      }
    }
    return true;
  }

  async close(): Promise<void> {
    for (const d of [...this.detachers]) d();
    this.handlers.clear();
  }
}
