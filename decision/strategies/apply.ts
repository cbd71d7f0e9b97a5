import { StrategyError, type NamedStrategy, type StrategyInput } from './types.js';

/**
 * Runs a strategy on one input and checks what it returned: the candidate it names, and whether
 * it was a random pick. A throw, a promise, or a label that is not one of the candidates is a
 * StrategyError (`strategy <name> of app <id>: threw ...`, `strategy <name> of app <id> returned
 * "M9_9", not a candidate: NA, M3_1, ...`), which ends the app's loop. The same check for a batch
 * app's input and a stream app's (its candidates NA and S{n}).
 */
export function applyStrategy<I extends StrategyInput>(s: NamedStrategy, input: I): { chosen: I['candidates'][number]; explored: boolean } {
  // `strategy X of app N: threw ...`, `strategy X of app N returned ...`
  const fail = (why: string) => new StrategyError(`strategy ${s.name} of app ${input.appId}${why.startsWith('returned') ? ' ' : ': '}${why}`, s.name, input.appId);
  const labels = () => input.candidates.map((c) => c.label).join(', ');
  let out: unknown;
  try {
    out = s.decide(input);
  } catch (e) {
    throw fail(`threw ${e instanceof Error ? e.message || e.name : JSON.stringify(e) ?? String(e)}`);
  }
  if (out !== null && typeof out === 'object' && typeof (out as { then?: unknown }).then === 'function') {
    (out as Promise<unknown>).then(undefined, () => undefined); // never an unhandled rejection
    throw fail(`returned a promise; a strategy is a synchronous function returning a candidate label (${labels()})`);
  }
  let label: unknown = out;
  let explored = false;
  if (out !== null && typeof out === 'object') {
    const o = out as { chosen?: unknown; explored?: unknown };
    label = o.chosen !== null && typeof o.chosen === 'object' ? (o.chosen as { label?: unknown }).label : o.chosen;
    if (o.explored !== undefined && typeof o.explored !== 'boolean') throw fail(`returned explored ${JSON.stringify(o.explored)}; expected true, false or nothing`);
    explored = o.explored === true;
  }
  if (typeof label !== 'string') {
    throw fail(`returned ${show(out)}; expected a candidate label (${labels()}) or {chosen: label, explored}`);
  }
  const chosen = (input.candidates as readonly I['candidates'][number][]).find((c) => c.label === label);
  if (!chosen) throw fail(`returned ${JSON.stringify(label)}, not a candidate: ${labels()}`);
  return { chosen, explored };
}

function show(x: unknown): string {
  if (x === undefined) return 'undefined';
  if (typeof x === 'function') return 'a function';
  try {
    const s = JSON.stringify(x);
    return s.length > 120 ? `${s.slice(0, 117)}...` : s;
  } catch {
    return String(x);
  }
}
