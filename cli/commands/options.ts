import { InvalidArgumentError, type Command } from 'commander';
import { UserError } from '../../model/errors.js';

/** commander parsers whose errors name the flag's expectation */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got ${n}`);
    return n;
  };
}

export function choiceOption<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got "${value}"`);
    return value as T;
  };
}

export const DEFAULT_SCENARIO = 'scenarios/thesis.yaml';

/** --proxy-port / --s3-port of the commands that start the embedded servers (up, run): one definition. */
export function embeddedPortOptions(cmd: Command): Command {
  return cmd
    .option('--proxy-port <port>', 'port of the embedded proxy API (default 8474 when free, else any); ignored with FOGSIM_TOXIPROXY_URL', intOption(1, 65535))
    .option('--s3-port <port>', 'port of the embedded S3 server (default any free port); ignored with FOGSIM_S3_ENDPOINT', intOption(1, 65535));
}

/** `90`, `90s`, `10m`, `1h` (also decimals) as seconds; a clear error naming --duration otherwise. */
export function parseDurationS(text: string, flag = '--duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/i.exec(text);
  const n = m ? Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as const)[(m[2]?.toLowerCase() ?? 's') as 's' | 'm' | 'h'] : NaN;
  if (!(n > 0 && n <= 30 * 86_400)) throw new UserError(`${flag}: expected a duration such as 90, 90s, 10m or 1h (at most 30 days), got ${JSON.stringify(text)}`);
  return n;
}
