import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../dataset/generate.js';
import { MAX_NODE_ID } from '../../model/limits.js';
import { DRAW_AVAILABILITY } from '../../controller/add-node.js';
import { isolatedEnv } from '../helpers/env.js';

/*
 * What start-up loads: `fogsim --help`, `--version` and a command's `--help` load commander and the
 * light command modules only; `fogsim job --file` loads the job alone (no zod, pino, express,
 * scenario model or object store). Checked on the modules each process resolves, which, unlike
 * timings, does not depend on the machine's load (bench/cli.bench.ts measures the times).
 */

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const tracer = fileURLToPath(new URL('./fixtures/trace-imports.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fogsim-startup-'));
let n = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI from source; its stdout, stderr, exit code and the files it loaded (relative to the repository). */
async function fogsim(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; loaded: string[] }> {
  const trace = join(dir, `trace-${n++}.txt`);
  const env = isolatedEnv({ FOGSIM_DATA_DIR: join(dir, 'data'), FOGSIM_TRACE_IMPORTS: trace });
  let out: { code: number; stdout: string; stderr: string };
  try {
    const r = await run(process.execPath, ['--import', 'tsx', '--import', tracer, 'cli/main.ts', ...args], { cwd: root, timeout: 60_000, env });
    out = { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    out = { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
  const urls = existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : [];
  const loaded = [...new Set(urls.map((u) => relative(root, fileURLToPath(u))))].sort();
  return { ...out, loaded };
}

/** The packages among the loaded files. */
const packages = (loaded: string[]) => [...new Set(loaded.filter((f) => f.startsWith('node_modules/')).map((f) => f.split('/').slice(1, f.split('/')[1].startsWith('@') ? 3 : 2).join('/')))].sort();
const sources = (loaded: string[]) => loaded.filter((f) => !f.startsWith('node_modules/'));

describe('fogsim start-up loads only what the command needs', () => {
  it('--help lists every command and loads commander and the command modules alone', async () => {
    const r = await fogsim('--help');
    expect(r.code, r.stderr).toBe(0);
    for (const c of ['validate', 'dataset', 'job', 'proxy', 'train', 'up', 'run', 'compare', 'sweep', 'add-node', 'bench']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.stdout).toMatch(/-V, --version/);
    expect(packages(r.loaded)).toEqual(['commander']);
    for (const f of sources(r.loaded)) expect(f).toMatch(/^(cli\/(main|version|exit-codes)\.ts|cli\/commands\/[a-z0-9-]+\.ts|model\/errors\.ts|util\/config\.ts)$/);
  });

  it('--version prints the version of package.json, loading no more than --help', async () => {
    const r = await fogsim('--version');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version);
    expect(packages(r.loaded)).toEqual(['commander']);
    expect(sources(r.loaded).filter((f) => f.startsWith('cli/actions/'))).toEqual([]);
  });

  it("a command's --help shows its options without loading its implementation", async () => {
    for (const [cmd, flag] of [['job', '--file <path>'], ['up', '--runtime <kind>'], ['train', '--iterations <n>'], ['run', '--duration <seconds>'], ['compare', '--strategies <list>'], ['sweep', '--grid <path=values>']] as const) {
      const r = await fogsim(cmd, '--help');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(flag);
      expect(packages(r.loaded), cmd).toEqual(['commander']);
    }
  });

  it('add-node --help (and help add-node) quote the bounds of the model and the draws', async () => {
    for (const args of [['add-node', '--help'], ['help', 'add-node']]) {
      const r = await fogsim(...args);
      expect(r.code, r.stderr).toBe(0);
      const text = r.stdout.replace(/\s+/g, ' '); // commander wraps long descriptions
      expect(text).toContain(`unused, 1-${MAX_NODE_ID}`);
      expect(text).toContain(`drawn, ${DRAW_AVAILABILITY.min}-${DRAW_AVAILABILITY.max}`);
    }
  });

  describe('job --file', () => {
    const file = join(dir, 'd.json');
    beforeAll(async () => {
      await generateDataset(file, { records: 300, seed: 5 });
    });

    it('loads the job alone: no zod, pino, express, scenario model or object store', async () => {
      const r = await fogsim('job', '--file', file);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ records: 300, skipped: 0 });
      expect(packages(r.loaded)).toEqual(['commander']);
      for (const f of sources(r.loaded)) expect(f).toMatch(/^(cli\/(main|version|exit-codes)\.ts|cli\/commands\/[a-z0-9-]+\.ts|cli\/actions\/job\.ts|model\/errors\.ts|util\/config\.ts|nodes\/job\/[a-z-]+\.ts)$/);
    });

    it('other commands still find their implementation; an unknown command gets a suggestion', async () => {
      const v = await fogsim('validate', join(root, 'scenarios/thesis.yaml'));
      expect(v.code, v.stderr).toBe(0);
      expect(v.stdout).toMatch(/^ok /);
      // the trace sees what a command does load
      expect(packages(v.loaded)).toEqual(expect.arrayContaining(['commander', 'js-yaml', 'zod']));
      const u = await fogsim('jbo');
      expect(u.code).toBe(1);
      expect(u.stderr).toMatch(/unknown command 'jbo'/);
      expect(u.stderr).toMatch(/Did you mean job\?/);
    });
  });
});
