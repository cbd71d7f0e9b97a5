import type { Response } from 'express';
import type { Store } from '../../db/store.js';
import type { EventRow, RunRow } from '../../model/types.js';
import type { TimelineRow } from '../../model/steps.js';
import type { TelemetryMessage, TelemetrySubscriber } from '../../telemetry/bus.js';
import type { Logger } from '../../util/logger.js';

export type { ConvergenceState } from '../../decision/convergence.js';
import type { ConvergenceState } from '../../decision/convergence.js';

/** Ids already sent, bounded so a long experiment does not grow memory without end. */
class SeenIds {
  private readonly ids = new Set<number>();
  constructor(private readonly max = 20_000) {}
  has(id: number): boolean {
    return this.ids.has(id);
  }
  add(id: number): void {
    this.ids.add(id);
    if (this.ids.size > this.max) {
      // Sets iterate in insertion order: drop the oldest tenth.
      let drop = Math.floor(this.max / 10);
      for (const old of this.ids) {
        if (drop-- <= 0) break;
        this.ids.delete(old);
      }
    }
  }
}

/**
 * The live feed behind GET /api/stream (server-sent events). Sources:
 * - the telemetry subscriber, when given: runs, events and feedback as the nodes publish them;
 * - polling the store every `pollMs` while a client listens: the fallback that works with no
 *   telemetry at all and catches anything the bus missed (the store is the source of truth).
 * Both are deduplicated by row id, so a client sees each run, action and feedback once.
 * SSE event names: run, action, feedback, event (an event closed, with its global feedback),
 * convergence, node, link, app, timeline (a step applied: the scenario's or by hand; also
 * polled from the store, so steps applied by another process show up too), stream-window (a
 * stream app closed a window: {appId, topic, goal, startedAtMs, window, groups, action};
 * controller/server.ts forwards them from the session's stream apps).
 */
export class LiveFeed {
  private readonly clients = new Set<Response>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private polling = false;
  private started = false;
  private lastRunId = 0;
  private lastStepId = 0;
  private readonly seenRuns = new SeenIds();
  private readonly seenEvents = new SeenIds();
  private readonly seenFeedback = new Set<string>();
  private readonly activeEvents = new Set<number>();
  private lastConvergence: string | undefined;
  private seq = 0;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly convergence: () => Promise<ConvergenceState>,
    private readonly log: Logger,
    private readonly telemetry?: TelemetrySubscriber,
    private readonly pollMs = 500,
  ) {}

  /** Learns what already exists so that only new rows are streamed; subscribes to telemetry. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const total = await this.store.countRuns();
    if (total > 0) {
      const tail = await this.store.listRuns({ offset: Math.max(0, total - 1), limit: 1 });
      const head = await this.store.listRuns({ limit: 1 });
      this.lastRunId = Math.max(0, ...tail.map((r) => r.id), ...head.map((r) => r.id));
    }
    for (const e of await this.store.listEvents()) {
      this.seenEvents.add(e.id);
      if (e.active) this.activeEvents.add(e.id);
    }
    for (const f of await this.store.listFeedback()) this.seenFeedback.add(`${f.eventId}:${f.appId}`);
    for (const t of await this.store.listTimeline()) this.lastStepId = Math.max(this.lastStepId, t.id);
    this.lastConvergence = JSON.stringify(await this.convergence().catch(() => ({ converged: false })));
    if (this.telemetry) {
      await this.telemetry.subscribe((m) => this.onTelemetry(m));
    }
  }

  /** Registers an SSE client; the first one starts polling, the last one leaving stops it. */
  attach(res: Response, initial: ConvergenceState): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Stops reverse proxies (nginx) from buffering the stream.
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    this.writeTo(res, 'convergence', initial);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopTimers();
    });
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      // A comment line every 15 s keeps idle connections open through proxies.
      this.heartbeat = setInterval(() => {
        for (const c of this.clients) c.write(': keep-alive\n\n');
      }, 15_000);
    }
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Sends to every client (also used by the routes: node and link changes). */
  broadcast(event: string, data: unknown): void {
    for (const c of this.clients) this.writeTo(c, event, data);
  }

  /** A change the operations announce (controller/operations.ts): a timeline step once, the others as they come. */
  announce(event: string, data: unknown): void {
    if (event === 'timeline') this.emitStep(data as TimelineRow);
    else this.broadcast(event, data);
  }

  private emitStep(t: TimelineRow): void {
    // ids grow: a step at or below the last one sent was sent (through the operations or a poll)
    if (t.id <= this.lastStepId) return;
    this.lastStepId = t.id;
    this.broadcast('timeline', t);
  }

  private writeTo(res: Response, event: string, data: unknown): void {
    res.write(`id: ${++this.seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private onTelemetry(m: TelemetryMessage): void {
    const p = m.payload as Record<string, unknown> | null;
    // Without a row id a message cannot be deduplicated against the store; polling brings it.
    if (!p || typeof p !== 'object' || typeof p.id !== 'number') {
      if (m.topic === 'feedback' && p && typeof p.eventId === 'number' && typeof p.appId === 'number') this.emitFeedback(p as never);
      return;
    }
    if (m.topic === 'runs') this.emitRun(p as unknown as RunRow);
    else if (m.topic === 'events') {
      const e = p as unknown as EventRow;
      // Nodes publish an event twice: when written (active) and when closed with its global feedback.
      if (!this.seenEvents.has(e.id)) this.emitAction(e);
      else if (e.active === false && this.activeEvents.delete(e.id)) this.broadcast('event', e);
    }
  }

  private emitRun(r: RunRow): void {
    if (this.seenRuns.has(r.id)) return;
    this.seenRuns.add(r.id);
    this.broadcast('run', r);
  }

  private emitAction(e: EventRow): void {
    if (this.seenEvents.has(e.id)) return;
    this.seenEvents.add(e.id);
    if (e.active) this.activeEvents.add(e.id);
    this.broadcast('action', { ...e, feedback: [] });
  }

  private emitFeedback(f: { eventId: number; appId: number; value: number; createdAtMs: number }): void {
    const key = `${f.eventId}:${f.appId}`;
    if (this.seenFeedback.has(key)) return;
    this.seenFeedback.add(key);
    this.broadcast('feedback', f);
  }

  /** One pass over the store: new runs, new events, new feedback, closed events, convergence. */
  async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      for (;;) {
        const runs = await this.store.listRuns({ afterId: this.lastRunId, limit: 500 });
        const sorted = [...runs].sort((a, b) => a.id - b.id);
        for (const r of sorted) {
          this.emitRun(r);
          this.lastRunId = Math.max(this.lastRunId, r.id);
        }
        if (runs.length < 500) break;
      }
      const events = [...(await this.store.listEvents())].sort((a, b) => a.id - b.id);
      for (const e of events) {
        if (!this.seenEvents.has(e.id)) this.emitAction(e);
      }
      for (const e of events) {
        if (!this.activeEvents.has(e.id)) continue;
        for (const f of await this.store.listFeedback(e.id)) this.emitFeedback(f);
        if (!e.active) {
          this.activeEvents.delete(e.id);
          this.broadcast('event', e);
        }
      }
      for (const t of await this.store.listTimeline({ afterId: this.lastStepId })) this.emitStep(t);
      const conv = await this.convergence();
      const key = JSON.stringify(conv);
      if (key !== this.lastConvergence) {
        this.lastConvergence = key;
        this.broadcast('convergence', conv);
      }
    } catch (err) {
      this.log.warn({ err }, 'live feed: polling the store failed; retrying');
    } finally {
      this.polling = false;
    }
  }

  private stopTimers(): void {
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
    this.timer = undefined;
    this.heartbeat = undefined;
  }

  /** Ends every open stream (so server.close() is not held up by them) and stops polling. */
  close(): void {
    this.closed = true;
    this.stopTimers();
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
