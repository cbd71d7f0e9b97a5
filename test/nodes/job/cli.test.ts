import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isolatedEnv } from '../../helpers/env.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'fogsim-jobcli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI from source; resolves with the exit code instead of rejecting. */
async function fogsim(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: process.cwd(), timeout: 60_000, env: isolatedEnv({ FOGSIM_DATA_DIR: dir }) });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('fogsim dataset generate + fogsim job', () => {
  it('generates a data set and the job prints one JSON line with the contract fields', async () => {
    const out = join(dir, 'd.json');
    const g = await fogsim('dataset', 'generate', '--records', '500', '--out', out, '--seed', '3');
    expect(g.code, g.stderr).toBe(0);
    const gen = JSON.parse(g.stdout) as { records: number; avgCholesterol: number };
    expect(gen.records).toBe(500);

    const j = await fogsim('job', '--file', out);
    expect(j.code, j.stderr).toBe(0);
    const lines = j.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const res = JSON.parse(lines[0]) as Record<string, number>;
    expect(Object.keys(res)).toEqual(['avg', 'records', 'skipped', 'bytes', 'rtMs', 'etMs', 'throughput']);
    expect(res).toMatchObject({ avg: gen.avgCholesterol, records: 500, skipped: 0, bytes: readFileSync(out).length });
    for (const k of ['rtMs', 'etMs', 'throughput']) expect(res[k]).toBeGreaterThan(0);
  }, 120_000);

  it('malformed data: exit 1, one clear message with the byte, no stack', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '[{"cholesterol":1},\n{"cholesterol":2 "x":3}]');
    const j = await fogsim('job', '--file', bad);
    expect(j.code).toBe(1);
    expect(j.stdout).toBe('');
    expect(j.stderr).toMatch(/^fogsim: malformed data set at byte 37: expected ',' or '}'/);
    expect(j.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('bad flags are refused naming the flag', async () => {
    const r = await fogsim('dataset', 'generate', '--records', '-5', '--out', join(dir, 'x.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--records: must be a positive integer/);
    const j = await fogsim('job');
    expect(j.code).toBe(1);
    expect(j.stderr).toMatch(/--file <path>, or --bucket <bucket> --object <key>/);
  }, 60_000);
});
