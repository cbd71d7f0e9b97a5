/*
 * What a node process tells the controller before it exits on an error that a restart would only
 * repeat: its strategy failed (decision/strategies/), or it could not start (a bad setting, no
 * proxy port left). Said twice, for the two runtimes: over IPC, which the process runtime reads
 * (controller/runtime/process-runtime.ts), and as one line on stderr, which the Docker runtime
 * finds in the container's log (controller/runtime/docker-runtime.ts). Either keeps the message
 * in the node's status and does not restart it.
 */
export type NodeFailureKind = 'strategy' | 'start';

export interface NodeFailure {
  message: string;
  kind?: NodeFailureKind;
}

export interface NodeFailureEnvelope {
  fogsimNodeFailure: NodeFailure;
}

export function nodeFailureEnvelope(message: string, kind: NodeFailureKind = 'strategy'): NodeFailureEnvelope {
  return { fogsimNodeFailure: { message, kind } };
}

export function isNodeFailureEnvelope(x: unknown): x is NodeFailureEnvelope {
  if (typeof x !== 'object' || x === null || !('fogsimNodeFailure' in x)) return false;
  const f = (x as { fogsimNodeFailure: unknown }).fogsimNodeFailure;
  return typeof f === 'object' && f !== null && typeof (f as { message?: unknown }).message === 'string';
}

const LINE_PREFIX = 'fogsim-node-failure ';

/** The stderr line of a failure: the prefix, then the envelope as JSON (one line: JSON escapes newlines). */
export function nodeFailureLine(f: NodeFailureEnvelope): string {
  return `${LINE_PREFIX}${JSON.stringify(f)}`;
}

/** The last failure line in a node's output, if any (other lines, and a malformed one, are passed over). */
export function lastNodeFailure(output: string): NodeFailure | undefined {
  const lines = output.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const at = lines[i].indexOf(LINE_PREFIX);
    if (at < 0) continue;
    try {
      const x: unknown = JSON.parse(lines[i].slice(at + LINE_PREFIX.length));
      if (isNodeFailureEnvelope(x)) return x.fogsimNodeFailure;
    } catch {
      // a line cut short: look further up
    }
  }
  return undefined;
}
