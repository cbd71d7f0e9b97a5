import { describe, expect, it } from 'vitest';
import { dockerLogText } from '../../controller/runtime/docker-runtime.js';
import { StrategyError } from '../../decision/strategies/types.js';
import { UnavailableError, UserError } from '../../model/errors.js';
import { lastNodeFailure, nodeFailureEnvelope, nodeFailureLine } from '../../nodes/failure.js';
import { repeatableFailure } from '../../nodes/main.js';

/** A frame of a container's log as the engine sends it without a TTY (1 stdout, 2 stderr). */
const frame = (stream: 1 | 2, text: string) => {
  const payload = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
};

describe('how a node says why it exits, for the runtimes that do not restart it', () => {
  it('the stderr line carries the message whole (newlines, quotes) and the last one in the output wins', () => {
    const first = nodeFailureLine(nodeFailureEnvelope('strategy x of app 2: threw "boom"\nat line 3', 'strategy'));
    const second = nodeFailureLine(nodeFailureEnvelope('app 2 could not start: FOGSIM_APP_ID must be an app id', 'start'));
    expect(first.split('\n')).toHaveLength(1);
    expect(lastNodeFailure(`{"level":50}\n${first}\nfogsim node: ...\n`)).toEqual({ message: 'strategy x of app 2: threw "boom"\nat line 3', kind: 'strategy' });
    expect(lastNodeFailure(`${first}\n${second}\n`)).toEqual({ message: 'app 2 could not start: FOGSIM_APP_ID must be an app id', kind: 'start' });
    // a line cut short by the log's tail is passed over for an earlier whole one
    expect(lastNodeFailure(`${first}\n${second.slice(0, 40)}`)).toMatchObject({ kind: 'strategy' });
    expect(lastNodeFailure('fogsim node: unexpected error\n')).toBeUndefined();
  });

  it('a container log is read frame by frame, split frames joined; a log without frames is text', () => {
    const line = nodeFailureLine(nodeFailureEnvelope('app 3 could not start: no free port', 'start'));
    const buf = Buffer.concat([frame(1, 'node started\n'), frame(2, line.slice(0, 10)), frame(2, `${line.slice(10)}\n`)]);
    expect(dockerLogText(buf)).toBe(`node started\n${line}\n`);
    expect(lastNodeFailure(dockerLogText(buf))).toEqual({ message: 'app 3 could not start: no free port', kind: 'start' });
    expect(dockerLogText(Buffer.from(`plain text from a tty\n${line}\n`))).toContain(line);
    expect(dockerLogText(Buffer.alloc(0))).toBe('');
  });

  it('only failures a restart would repeat are told: a strategy, a start that cannot succeed; not a server that is down', () => {
    expect(repeatableFailure(new StrategyError('strategy s of app 1 returned "M9_9", not a candidate', 's', 1), { FOGSIM_APP_ID: '1' })).toEqual(nodeFailureEnvelope('strategy s of app 1 returned "M9_9", not a candidate', 'strategy'));
    expect(repeatableFailure(new UserError('no proxy port left'), { FOGSIM_APP_ID: '4' })).toEqual(nodeFailureEnvelope('app 4 could not start: no proxy port left', 'start'));
    expect(repeatableFailure(new UserError('FOGSIM_APP_ID must be an app id'), {})?.fogsimNodeFailure.message).toBe('the node could not start: FOGSIM_APP_ID must be an app id');
    expect(repeatableFailure(new UnavailableError('the SQL store is not reachable'), { FOGSIM_APP_ID: '1' })).toBeUndefined();
    expect(repeatableFailure(new Error('a bug'), { FOGSIM_APP_ID: '1' })).toBeUndefined();
  });
});
