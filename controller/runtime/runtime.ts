import type { EventEmitter } from 'node:events';

/** One fog node's app, as the controller starts it: a child process or a container. */
export interface NodeSpec {
  appId: number;
  /** environment of the node (FOGSIM_APP_ID, FOGSIM_SCENARIO, FOGSIM_* infra settings) */
  env: Record<string, string>;
}

export type NodeState = 'starting' | 'running' | 'restarting' | 'stopped' | 'failed';

export interface NodeStatus {
  appId: number;
  state: NodeState;
  restarts: number;
  /** pid or container id */
  handle?: string;
  lastExit?: { code: number | null; signal: string | null; atMs: number };
  /** why the node said it exits, when it did (its strategy failed, or it could not start: nodes/failure.ts); such a node is not restarted */
  error?: string;
  /** what `error` is about: the app's strategy, or its start (the session's start of it, or the node's own set-up) */
  errorKind?: 'strategy' | 'start';
}

/**
 * Starts, watches and stops the nodes. Two runtimes: processes (default) and Docker
 * containers (dockerode). Events: 'crash' (status, gaveUp) when a node dies unexpectedly (with
 * `status.error` when it said why: then gaveUp, since a restart would fail the same way),
 * 'restart' (status) when it is brought back, 'telemetry' (message) for IPC telemetry.
 */
export interface NodeRuntime extends EventEmitter {
  readonly kind: 'process' | 'docker';
  start(spec: NodeSpec): Promise<void>;
  stop(appId: number): Promise<void>;
  stopAll(): Promise<void>;
  list(): NodeStatus[];
}
