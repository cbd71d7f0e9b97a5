import { Worker } from 'node:worker_threads';
import type { ScenarioSet } from '../../../model/scenario-set.js';

/*
 * A pool of worker threads for the runs of `fogsim compare --engine sim` (runner.ts): at most
 * `size` workers, started as runs need them, each running one simulation at a time in-process
 * (sim-worker.ts), so the virtual-time runs of a comparison use every core without a process
 * and a stack per run. A worker that dies (out of memory, terminated by stop()) fails the run it
 * held and is replaced on the next run.
 */

export interface SimTask {
  id: number;
  /** absolute */
  scenarioFile: string;
  sets: ScenarioSet[];
  seed: number;
  durationS: number;
  reportFile: string;
  strategy?: string;
}

export type SimTaskResult = { id: number; ok: true; wallS: number } | { id: number; ok: false; error: string; input: boolean };

interface Slot {
  worker: Worker;
  busy: ((r: SimTaskResult) => void) | null;
  task: number;
}

const fromSources = import.meta.url.endsWith('.ts');
const workerUrl = new URL(fromSources ? './sim-worker.ts' : './sim-worker.js', import.meta.url);

/** The built worker; from sources (tests, `node --import tsx`), tsx registered in the worker first: its hooks do not reach worker threads. */
function startWorker(): Worker {
  if (!fromSources) return new Worker(workerUrl);
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); });`, { eval: true });
}

export class SimPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private stopped = false;

  constructor(private readonly size: number) {}

  /** Runs one task on a free worker (the caller never holds more than `size` at once). */
  run(task: Omit<SimTask, 'id'>): Promise<SimTaskResult> {
    if (this.stopped) return Promise.resolve({ id: 0, ok: false, error: 'stopped', input: false });
    const slot = this.slots.find((s) => !s.busy) ?? this.spawn();
    const id = this.nextId++;
    return new Promise((res) => {
      slot.busy = res;
      slot.task = id;
      slot.worker.postMessage({ ...task, id } satisfies SimTask);
    });
  }

  /** Ends every worker; the runs they held end as failed ('stopped'). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    if (this.slots.length >= this.size) throw new Error(`the pool has ${this.size} workers, all busy`);
    const slot: Slot = { worker: startWorker(), busy: null, task: 0 };
    // a worker that failed takes no more runs
    const retire = () => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
    };
    const settle = (r: SimTaskResult) => {
      const done = slot.busy;
      slot.busy = null;
      done?.(r);
    };
    slot.worker.on('message', (r: SimTaskResult) => {
      if (r.id === slot.task) settle(r);
    });
    slot.worker.on('error', (e) => {
      retire();
      settle({ id: slot.task, ok: false, error: `the worker thread failed: ${e.message}`, input: false });
    });
    slot.worker.on('exit', (code) => {
      retire();
      settle({ id: slot.task, ok: false, error: this.stopped ? 'stopped' : `the worker thread exited (code ${code})`, input: false });
    });
    this.slots.push(slot);
    return slot;
  }
}
