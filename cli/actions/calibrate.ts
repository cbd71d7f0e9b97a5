import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Table from 'cli-table3';
import { UserError } from '../../model/errors.js';
import { DEFAULT_RANGE_BYTES } from '../../model/scenario.js';
import { readInfraConfig } from '../../util/config.js';
import { startInfra } from '../../infra/infra.js';
import { calibrationPoints, checkCalibrationPlan, describePlan, fitDataPathModel, measureCalibration, type CalibrationPlan } from '../../sim/calibrate.js';

export interface CalibrateFlags {
  out: string;
  latencies: string;
  records: string;
  rangeBytes?: string;
  runs: string;
  seed: string;
}

function numbers(flag: string, text: string, example: string): number[] {
  const parts = text.split(',').map((x) => x.trim());
  const out = parts.map(Number);
  if (parts.some((x) => x === '') || out.some((n) => !Number.isFinite(n))) throw new UserError(`${flag}: expected a comma-separated list of numbers (e.g. ${example}), got ${JSON.stringify(text)}`);
  return out;
}

function whole(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new UserError(`${flag}: expected a whole number, got ${JSON.stringify(text)}`);
  return n;
}

const ms = (v: number) => v.toFixed(1);

/** `fogsim calibrate`: measures the plan on the command's infrastructure, fits, writes the model and prints the points. */
export async function calibrateCommand(flags: CalibrateFlags): Promise<void> {
  const plan: CalibrationPlan = {
    records: numbers('--records', flags.records, '2000,20000'),
    latencies: numbers('--latencies', flags.latencies, '0,20,100'),
    rangeBytes: flags.rangeBytes === undefined ? DEFAULT_RANGE_BYTES : whole('--range-bytes', flags.rangeBytes),
    runs: whole('--runs', flags.runs),
    seed: whole('--seed', flags.seed),
  };
  // bad flags are refused before anything starts
  checkCalibrationPlan(plan);
  const cfg = readInfraConfig();
  // the one bring-up (infra/infra.ts): real servers when FOGSIM_S3_ENDPOINT / FOGSIM_TOXIPROXY_URL
  // name them, else the embedded ones; the embedded proxy on any free port, so a running `fogsim up` keeps 8474
  const infra = await startInfra(cfg, { proxyPort: 0 });
  let samples;
  try {
    for (const line of infra.describe) console.log(line);
    samples = await measureCalibration(infra, plan, (s, done, total) => {
      console.log(`[${done}/${total}] ${s.records} records, latency ${s.latencyMs} ms: ET ${ms(s.etMs)} ms, RT ${ms(s.rtMs)} ms`);
    });
  } finally {
    await infra.close();
  }
  const model = fitDataPathModel(samples, { how: describePlan(plan, { s3Url: infra.s3Url, toxiproxyUrl: infra.toxiproxyUrl, embedded: !cfg.toxiproxyUrl }) });
  try {
    mkdirSync(dirname(flags.out), { recursive: true });
    writeFileSync(flags.out, `${JSON.stringify(model, null, 2)}\n`);
  } catch (e) {
    throw new UserError(`--out: cannot write ${flags.out}: ${(e as Error).message}`);
  }

  const tty = !!process.stdout.isTTY;
  const style = { compact: true, ...(tty ? {} : { head: [] as string[], border: [] as string[] }) };
  const table = new Table({ style, head: ['records', 'bytes', 'requests', 'latency (ms)', 'runs', 'mean RT (ms)', 'mean ET (ms)', 'sd ET (ms)', 'model ET (ms)', 'error'] });
  for (const p of calibrationPoints(samples, model)) {
    table.push([p.records, p.bytes, p.requests, p.latencyMs, p.runs, ms(p.meanRtMs), ms(p.meanEtMs), ms(p.sdEtMs), ms(p.modelEtMs), `${(((p.modelEtMs - p.meanEtMs) / p.meanEtMs) * 100).toFixed(1)} %`]);
  }
  console.log(table.toString());
  const { fit, ...constants } = model;
  console.log(`fitted: ${Object.entries(constants).map(([k, v]) => `${k} ${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`).join(', ')}`);
  console.log(`fit: ${fit?.samples} runs, r2 ${fit?.r2?.toFixed(4)}, mean |error| ${fit?.meanAbsErrorMs?.toFixed(2)} ms`);
  console.log(`model: ${flags.out} (a scenario's sim: {model: ...}, or fogsim simulate --model ${flags.out})`);
}
