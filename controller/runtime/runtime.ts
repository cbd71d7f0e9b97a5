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
}

/**
 * Starts, watches and stops the nodes. Two runtimes: processes (default) and Docker
 * containers (dockerode). Events: 'crash' (status) when a node dies unexpectedly,
 * 'restart' (status) when it is brought back, 'telemetry' (message) for IPC telemetry.
 */
export interface NodeRuntime extends EventEmitter {
  readonly kind: 'process' | 'docker';
  start(spec: NodeSpec): Promise<void>;
  stop(appId: number): Promise<void>;
  stopAll(): Promise<void>;
  list(): NodeStatus[];
}
