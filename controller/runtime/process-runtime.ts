import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { NodeRuntime, NodeSpec, NodeStatus } from './runtime.js';
import { DEFAULT_CRASH_POLICY, handleCrash, type CrashPolicy } from './crash-policy.js';
import { isNodeFailureEnvelope } from '../../nodes/failure.js';

/** The compiled node entry; tests running from TypeScript pass their own (with tsx). */
export const defaultNodeEntry = fileURLToPath(new URL('../../nodes/main.js', import.meta.url));

/** Run from sources (tsx, as the tests do): the nodes run from sources too, with this process's loader flags. */
export function sourceNodeEntry(): { nodeEntry?: string; nodeExecArgv?: string[] } {
  return import.meta.url.endsWith('.ts') ? { nodeEntry: fileURLToPath(new URL('../../nodes/main.ts', import.meta.url)), nodeExecArgv: process.execArgv } : {};
}

interface Managed {
  spec: NodeSpec;
  child?: ChildProcess;
  status: NodeStatus;
  stopping: boolean;
  restartTimer?: NodeJS.Timeout;
  crashTimes: number[];
}

export interface ProcessRuntimeOptions extends Partial<CrashPolicy> {
  entry?: string;
  execArgv?: string[];
  /** how long a node gets to exit after SIGTERM before SIGKILL */
  stopGraceMs?: number;
  /** the environment a node starts from, under its spec's (default: this process's) */
  baseEnv?: NodeJS.ProcessEnv;
}

/** Each app is a child process of the controller, with an IPC channel for telemetry. */
export class ProcessRuntime extends EventEmitter implements NodeRuntime {
  readonly kind = 'process' as const;
  private readonly nodes = new Map<number, Managed>();
  private readonly opts: Required<ProcessRuntimeOptions>;

  constructor(opts: ProcessRuntimeOptions = {}) {
    super();
    this.opts = {
      entry: opts.entry ?? defaultNodeEntry,
      execArgv: opts.execArgv ?? [],
      restartDelayMs: opts.restartDelayMs ?? DEFAULT_CRASH_POLICY.restartDelayMs,
      maxCrashes: opts.maxCrashes ?? DEFAULT_CRASH_POLICY.maxCrashes,
      crashWindowMs: opts.crashWindowMs ?? DEFAULT_CRASH_POLICY.crashWindowMs,
      stopGraceMs: opts.stopGraceMs ?? 5000,
      baseEnv: opts.baseEnv ?? process.env,
    };
  }

  async start(spec: NodeSpec): Promise<void> {
    if (this.nodes.get(spec.appId)?.child) throw new Error(`node of app ${spec.appId} is already running`);
    const m: Managed = { spec, status: { appId: spec.appId, state: 'starting', restarts: 0 }, stopping: false, crashTimes: [] };
    this.nodes.set(spec.appId, m);
    this.spawn(m);
  }

  private spawn(m: Managed): void {
    const child = fork(this.opts.entry, [], {
      env: { ...this.opts.baseEnv, ...m.spec.env },
      execArgv: this.opts.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    m.child = child;
    m.status.handle = String(child.pid);
    m.status.state = 'running';
    delete m.status.error;
    delete m.status.errorKind;
    child.on('message', (msg) => {
      // the node says why it is about to exit (nodes/failure.ts): kept, and it is not restarted
      if (isNodeFailureEnvelope(msg)) {
        m.status.error = msg.fogsimNodeFailure.message;
        m.status.errorKind = msg.fogsimNodeFailure.kind ?? 'strategy';
      }
      else this.emit('telemetry', msg, m.spec.appId);
    });
    child.on('exit', (code, signal) => {
      m.child = undefined;
      m.status.lastExit = { code, signal, atMs: Date.now() };
      if (m.stopping) {
        m.status.state = 'stopped';
        return;
      }
      // an exit we did not ask for is a crash: report it and bring the node back (unless it said
      // why it exits); its last IPC messages may still be in flight, so wait for the channel to close
      const crashed = () => {
        clearTimeout(fallback);
        if (m.stopping) {
          m.status.state = 'stopped';
          return;
        }
        handleCrash(this, m, this.opts, () => {
          this.spawn(m);
          this.emit('restart', { ...m.status });
        });
      };
      // the channel closes right after the exit; the fallback is for a channel that never says so,
      // long enough for a loaded machine (1 s once let a failure envelope arrive after the restart)
      const fallback = setTimeout(crashed, child.connected ? 5000 : 0);
      if (child.connected) child.once('disconnect', crashed);
    });
  }

  async stop(appId: number): Promise<void> {
    const m = this.nodes.get(appId);
    if (!m) return;
    m.stopping = true;
    clearTimeout(m.restartTimer);
    const child = m.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      m.status.state = 'stopped';
      return;
    }
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), this.opts.stopGraceMs);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((id) => this.stop(id)));
  }

  list(): NodeStatus[] {
    return [...this.nodes.values()].map((m) => ({ ...m.status }));
  }
}
