/**
 * Workload sources (issue 19 item 1): `module` (a cadCAD-shaped module by path, seeded by the
 * scenario's seed) and `csv` (rows replayed as JSON, cycling), through the scenario and openSource;
 * a module that throws mid-run stops its workload as a recorded degradation, and the run goes on.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetText } from '../../dataset/generate.js';
import { parseScenario } from '../../model/scenario.js';
import { UserError } from '../../model/errors.js';
import { EmbeddedBus } from '../../stream/embedded-bus.js';
import { startStreams } from '../../stream/app/run.js';
import { openSource, readCsvRecords } from '../../stream/workload/sources.js';
import { parseCsv, csvValue } from '../../stream/workload/csv.js';
import { CadcadStepError } from '../../stream/workload/cadcad.js';

const dir = mkdtempSync(join(tmpdir(), 'fogsim-sources-'));
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const datasetFile = write('bloodtests.json', [...datasetText(50, 3)].join(''));
const scenarioFile = join(dir, 'scenario.yaml'); // never read: paths resolve against its folder
const base = { nodes: [{ id: 1, availability: 99 }], dataset: { node: 1, records: 50 } };
const app = { kind: 'stream', id: 1, topic: 't', windowS: 0.3, workers: 1, maxWorkers: 2, costMs: 0.1, goal: { metric: 'latency', max: 100_000 } };
const scenario = (source: unknown, extra: Record<string, unknown> = {}) =>
  parseScenario({ ...base, apps: [app], workloads: [{ id: 'w', topic: 't', partitions: 2, source, rate: 200, batch: 10, ...extra }] }, scenarioFile);
const values = (ms: { value: Buffer | string }[]) => ms.map((m) => JSON.parse(String(m.value)) as Record<string, unknown>);

describe('the csv reader (RFC 4180)', () => {
  it('quotes with commas, doubled quotes and line breaks; CRLF; blank lines; a BOM', () => {
    const rows = parseCsv('\ufeffa,b,c\r\n1,"x, y","say ""hi"""\r\n\r\n2,"two\nlines",\n');
    expect(rows).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['1', 'x, y', 'say "hi"'], line: 2 },
      { fields: ['2', 'two\nlines', ''], line: 4 },
    ]);
    expect(() => parseCsv('a\n"open')).toThrow(/line 2: a quoted field is not closed/);
    expect(() => parseCsv('a\n"x"y')).toThrow(/text after a closing quote/);
    expect([csvValue('12'), csvValue('-1.5e3'), csvValue(' 7 '), csvValue('0x10'), csvValue('M'), csvValue('')]).toEqual([12, -1500, 7, '0x10', 'M', '']);
  });
});

describe('source kind csv', () => {
  it('rows as JSON objects with numbers parsed, in order, cycling; keyed by a column', async () => {
    write('tests.csv', 'id,gender,cholesterol\n1,F,180.5\n2,M,210\n3,F,"195"\n');
    const s = scenario({ kind: 'csv', file: './tests.csv', key: 'gender' });
    const src = await openSource(s.workloads[0], { datasetFile, origin: 'workloads[0]', baseDir: dir });
    const ms = src.next(5, 1000);
    expect(values(ms)).toEqual([
      { id: 1, gender: 'F', cholesterol: 180.5 },
      { id: 2, gender: 'M', cholesterol: 210 },
      { id: 3, gender: 'F', cholesterol: 195 },
      { id: 1, gender: 'F', cholesterol: 180.5 },
      { id: 2, gender: 'M', cholesterol: 210 },
    ]);
    expect(ms.map((m) => m.key)).toEqual(['F', 'M', 'F', 'F', 'M']);
    expect(ms.every((m) => m.timestampMs === 1000)).toBe(true);
  });

  it('a missing file is refused by the scenario; an empty file, a header only, a bad row, a bad key each name the field, the line and the fix', async () => {
    expect(() => scenario({ kind: 'csv', file: './nope.csv' })).toThrow(/workloads\[0\]\.source\.file: no CSV file at .*nope\.csv; fix the path \(it is relative to the scenario file\)/);
    write('empty.csv', '');
    write('header.csv', 'a,b\n');
    write('bad.csv', 'a,b\n1,2\n3\n');
    write('dup.csv', 'a,a\n1,2\n');
    expect(() => readCsvRecords(join(dir, 'empty.csv'), 'workloads[0].source.file')).toThrow(/workloads\[0\]\.source\.file: the CSV file .*empty\.csv is empty; give a header row/);
    expect(() => readCsvRecords(join(dir, 'header.csv'), 'workloads[0].source.file')).toThrow(/has a header row and no rows/);
    expect(() => readCsvRecords(join(dir, 'bad.csv'), 'workloads[0].source.file')).toThrow(/workloads\[0\]\.source\.file: .*bad\.csv line 3 has 1 field\(s\), the header 2 \(a, b\)/);
    expect(() => readCsvRecords(join(dir, 'dup.csv'), 'f')).toThrow(/names column "a" twice/);
    expect(() => readCsvRecords(join(dir, 'gone.csv'), 'f')).toThrow(UserError);
    const keyed = scenario({ kind: 'csv', file: './bad.csv' });
    await expect(openSource(keyed.workloads[0], { datasetFile, origin: 'workloads[0]', baseDir: dir })).rejects.toThrow(/workloads\[0\]\.source\.file: .*line 3/);
    write('ok.csv', 'a,b\n1,2\n');
    const s = scenario({ kind: 'csv', file: './ok.csv', key: 'c' });
    await expect(openSource(s.workloads[0], { datasetFile, origin: 'workloads[0]', baseDir: dir })).rejects.toThrow(/workloads\[0\]\.source\.key: the CSV file has no column "c"; use one of a, b/);
  });
});

describe('source kind module', () => {
  const sensors = resolve('docs/examples/sensors.js');

  it('loads the module by path relative to the scenario, params over its own, runs, seeded by the scenario seed: one seed repeats the messages', async () => {
    write('sensors.js', `export { default } from ${JSON.stringify(sensors)};`);
    const open = async (seed: number) => {
      const s = scenario({ kind: 'module', path: './sensors.js', params: { noise: 2 }, runs: 2 });
      return openSource(s.workloads[0], { datasetFile, origin: 'workloads[0]', baseDir: dir, seed });
    };
    const a = (await open(5)).next(20, 0);
    const b = (await open(5)).next(20, 0);
    const c = (await open(6)).next(20, 0);
    expect(a.map((m) => String(m.value))).toEqual(b.map((m) => String(m.value)));
    expect(a.map((m) => String(m.value))).not.toEqual(c.map((m) => String(m.value)));
    // two runs, stepped in turn: fleet-0 and fleet-1 keys
    expect(new Set(a.map((m) => m.key!.split('/')[0]))).toEqual(new Set(['fleet-0', 'fleet-1']));
  });

  it('a path that is not there, or a module that fails to load, names workloads[i].source.path and the fix', async () => {
    expect(() => scenario({ kind: 'module', path: './missing.js' })).toThrow(/workloads\[0\]\.source\.path: no workload module at .*missing\.js; fix the path/);
    expect(() => scenario({ kind: 'module', path: './sensors.js' }, { key: 'x' })).toThrow(/workloads\[0\]\.key: a module source keys its own messages/);
    write('broken.js', 'export default { initialState: {}, emit: 3 };');
    const s = scenario({ kind: 'module', path: './broken.js' });
    await expect(openSource(s.workloads[0], { datasetFile, origin: 'workloads[0]', baseDir: dir })).rejects.toThrow(/^workloads\[0\]\.source\.path: workload module .*broken\.js has number 3 as emit, not a function/);
  });

  it('a module that throws mid-run: its workload stops with the CadcadStepError, recorded as a degradation; the run goes on and loses nothing acknowledged', async () => {
    write('bomb.js', 'export default { initialState: { n: 0 }, updates: { n: (p, step, s) => { if (step === 40) throw new Error("boom at 40"); return s.n + 1; } }, emit: (p, step, s) => [{ value: { n: s.n } }] };');
    const s = scenario({ kind: 'module', path: './bomb.js' }, { producers: 2 });
    const bus = new EmbeddedBus();
    try {
      const run = await startStreams({ bus, scenario: s, datasetFile });
      await new Promise((r) => setTimeout(r, 700));
      const report = await run.stop(5000);
      const w = report.workloads[0];
      expect(w.status).toBe('failed');
      expect(w.errorKind).toBe(new CadcadStepError('', '', '', 0, 0).name);
      expect(w.error).toMatch(/workload w \(topic t\) stopped: workload module \.\/bomb\.js, timestep 40 of run 0: updates\.n threw boom at 40/);
      expect(report.degradations).toEqual([w.error]);
      expect(run.errors).toEqual([]); // the stream app is fine: the run goes on
      // at most the 39 timesteps before the throw (a step's messages computed in the call that threw are never handed out)
      expect(w.acked).toBeGreaterThan(20);
      expect(w.acked).toBeLessThanOrEqual(39);
      expect(w.producers.map((p) => p.acked).reduce((a, b) => a + b)).toBe(w.acked);
      expect(report.apps[0].consumed).toBe(w.acked);
      expect(report.apps[0].lagAtEnd).toBe(0);
    } finally {
      await bus.close();
    }
  });
});
