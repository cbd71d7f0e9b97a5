/** Scenario bounds (issue 18): node/app ids 1..MAX_SCENARIO_ID (emulation: MAX_NODE_ID), link latency 0..MAX_LATENCY_MS, finite numbers. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UserError } from '../../model/errors.js';
import { MAX_LATENCY_MS, MAX_NODE_ID, MAX_SCENARIO_ID } from '../../model/limits.js';
import { assertEmulable, parseScenario, parseScenarioYaml } from '../../model/scenario.js';

const thesisText = readFileSync('scenarios/thesis.yaml', 'utf8');
const thesis = () => parse(thesisText) as Record<string, any>;

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as UserError).details;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario limits', () => {
  it(`scenario node and app ids must be integers 1..${MAX_SCENARIO_ID}, with the path named`, () => {
    const raw = thesis();
    raw.nodes[0].id = 2_000_000;
    raw.links[0].from = 2_000_000;
    raw.apps[0].id = MAX_SCENARIO_ID + 1;
    raw.apps[1].node = 0;
    raw.dataset.node = 1_234_567;
    const p = problems(() => parseScenario(raw));
    const range = `must be an integer from 1 to ${MAX_SCENARIO_ID}`;
    expect(p).toContain(`nodes[0].id: ${range}, got 2000000`);
    expect(p).toContain(`links[0].from: ${range}, got 2000000`);
    expect(p).toContain(`apps[0].id: ${range}, got ${MAX_SCENARIO_ID + 1}`);
    expect(p).toContain(`apps[1].node: ${range}, got 0`);
    expect(p).toContain(`dataset.node: ${range}, got 1234567`);
  });

  it(`ids past ${MAX_NODE_ID} load (virtual time) but emulation refuses them, naming fogsim simulate`, () => {
    const raw = thesis();
    raw.nodes[2].id = 70000;
    for (const l of raw.links) for (const f of ['from', 'to']) if (l[f] === 3) l[f] = 70000;
    raw.apps[2].node = 70000;
    raw.dataset.node = 70000;
    const s = parseScenario(raw, 'x.yaml');
    expect(s.nodes[2]!.id).toBe(70000);
    expect(() => assertEmulable(s)).toThrow(`scenario x.yaml: node id 70000 is above ${MAX_NODE_ID}, the largest id emulation can run (an emulated session is edited and watched through the controller's API, whose node and app ids stop there); run it in virtual time: fogsim simulate --scenario x.yaml`);
  });

  it(`links[].latencyMs is bounded at ${MAX_LATENCY_MS} ms; the bound itself is fine`, () => {
    const raw = thesis();
    raw.links[0].latencyMs = 1e12;
    expect(problems(() => parseScenario(raw))).toEqual([`links[0].latencyMs: must be at most ${MAX_LATENCY_MS} ms (10 minutes), got 1000000000000`]);
    raw.links[0].latencyMs = MAX_LATENCY_MS;
    expect(parseScenario(raw).links[0]!.latencyMs).toBe(MAX_LATENCY_MS);
  });

  it('1e400, .inf and .nan are reported as not finite, not as "got null"', () => {
    const text = thesisText.replace(/availability: 97/, 'availability: 1e400').replace(/latencyMs: 1500/, 'latencyMs: .nan');
    expect(text).not.toBe(thesisText);
    const p = problems(() => parseScenarioYaml(text));
    expect(p).toContain('nodes[0].availability: expected a finite number, got 1e400 (beyond the range of a number)');
    expect(p.some((m) => /latencyMs: expected a finite number, got NaN/.test(m)), p.join('\n')).toBe(true);
    expect(p.join('\n')).not.toMatch(/got null/);
  });
});

describe('dataset.file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fogsim-dsfile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const withFile = (file: string, source?: string) => parseScenario({ ...thesis(), dataset: { ...thesis().dataset, file } }, source);

  it('a file that is not a JSON data set is named at validation, not uploaded', () => {
    expect(problems(() => withFile('/etc/passwd'))).toEqual([expect.stringMatching(/^dataset\.file: \/etc\/passwd is not a JSON data set \(it starts with "root:.*not "\[" or the gzip magic\); give a JSON array of records/)]);
    expect(problems(() => withFile(join(dir, 'missing.json')))).toEqual([expect.stringMatching(/^dataset\.file: cannot read .*missing\.json: ENOENT/)]);
    expect(problems(() => withFile(dir))).toEqual([expect.stringMatching(/is not a file/)]);
  });

  it('a JSON array, plain or gzip, is taken, relative to the scenario file', () => {
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data', 'plain.json'), '\uFEFF  [{"cholesterol": 200}]');
    writeFileSync(join(dir, 'data', 'packed.json.gz'), gzipSync('[{"cholesterol": 190}]'));
    const source = join(dir, 'scenario.yaml');
    expect(withFile('data/plain.json', source).dataset.file).toBe(join(dir, 'data', 'plain.json'));
    expect(withFile('data/packed.json.gz', source).dataset.file).toBe(join(dir, 'data', 'packed.json.gz'));
    // relative to the scenario, not to the working folder
    expect(problems(() => withFile('data/plain.json', join(dir, 'elsewhere', 'scenario.yaml')))).toEqual([expect.stringMatching(/cannot read .*elsewhere\/data\/plain\.json/)]);
  });
});
