/** The CLI over generated scenarios: validate prints their sizes; emulation refuses ids past the port-safe bound; the engine runs stream apps on its fluid model. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_NODE_ID } from '../../model/limits.js';
import { isolatedEnv } from '../helpers/env.js';
import type { ExperimentReport } from '../../controller/experiment/report.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fogsim-gen-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fogsim(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = isolatedEnv({ FOGSIM_DATA_DIR: join(dir, 'data') });
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, timeout: 60_000, env });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('fogsim and generated scenarios', () => {
  it('validate prints the generated sizes: nodes per tier, implicit links, apps', async () => {
    const r = await fogsim('validate', 'scenarios/fog-1000.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1000 nodes (tiers: cloud 10, fog 190, edge 800), 499500 links (implicit, one per pair), 1000 apps, generated tiered');
  });

  it(`run refuses ids past ${MAX_NODE_ID} before starting anything, naming fogsim simulate`, async () => {
    const file = join(dir, 'big.yaml');
    writeFileSync(file, `name: big\ntopology: {generator: random-geometric, nodes: ${MAX_NODE_ID + 1}, radius: 50}\napps: {generator: uniform, count: 3, goals: [{metric: latency, max: 100}]}\n`);
    const r = await fogsim('run', '--scenario', file, '--duration', '10', '--report', join(dir, 'r.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`node id ${MAX_NODE_ID + 1} is above ${MAX_NODE_ID}, the largest id emulation can run (an emulated session is edited and watched through the controller's API, whose node and app ids stop there); run it in virtual time: fogsim simulate --scenario ${file}`);
    // nothing started: no store, no object store under the data folder
    expect(readdirSync(join(dir, 'data')).filter((f) => !f.endsWith('.lock'))).toEqual([]);
  });

  it('simulate runs the stream app on the fluid model: one S3 by the rule\'s arithmetic from the modelled rates, then convergence', async () => {
    const report = join(dir, 'stream-sim.json');
    const r = await fogsim('simulate', '--scenario', 'scenarios/stream-scale.yaml', '--duration', '90', '--report', report);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as ExperimentReport;
    expect(rep.engine).toBe('sim');
    const app = rep.stream!.apps[0]!;
    expect(rep.stream!.runtime).toBe('virtual');
    expect(app.actions.map((a) => a.label)).toEqual(['S3']);
    expect(app.actions[0]!.arithmetic).toMatch(/^throughput per worker = [\d.]+ \/ 1 = [\d.]+; n = ceil\(input rate \/ throughput per worker\) = ceil\(650 \/ [\d.]+\) = 3$/);
    expect(rep.converged).toBe(true);
    expect(rep.convergedAtS!).toBeGreaterThan(app.actions[0]!.atS);
    // the summary says what the stream app did, beside the batch apps' story
    const violated = app.windows.filter((w) => !w.goalMet).length;
    expect(r.stdout).toContain(`stream app 2: ${app.windows.length} windows of 2 s, ${violated} violated (${(violated * 2).toFixed(1)} s); S3 at ${app.actions[0]!.atS} s; converged`);
    expect(app.converged).toBe(true);
  });
});
