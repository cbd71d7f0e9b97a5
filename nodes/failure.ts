/*
 * What a node process tells the controller over IPC before it exits on an error that a restart
 * would only repeat: its strategy failed (decision/strategies/), or it could not start (a bad
 * setting, no proxy port left). The process runtime keeps the message in the node's status and
 * does not restart it (controller/runtime/process-runtime.ts).
 */
export type NodeFailureKind = 'strategy' | 'start';

export interface NodeFailureEnvelope {
  fogsimNodeFailure: { message: string; kind?: NodeFailureKind };
}

export function nodeFailureEnvelope(message: string, kind: NodeFailureKind = 'strategy'): NodeFailureEnvelope {
  return { fogsimNodeFailure: { message, kind } };
}

export function isNodeFailureEnvelope(x: unknown): x is NodeFailureEnvelope {
  if (typeof x !== 'object' || x === null || !('fogsimNodeFailure' in x)) return false;
  const f = (x as { fogsimNodeFailure: unknown }).fogsimNodeFailure;
  return typeof f === 'object' && f !== null && typeof (f as { message?: unknown }).message === 'string';
}
