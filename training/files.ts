import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../model/errors.js';
import { METRICS, vectorToArray, arrayToVector, type ImpactVector } from '../model/metrics.js';
import { copyConsistencyImpact } from './vectors.js';

/*
 * The original's file format: per app, one file per action, IM{x}_{y}.txt, IC{x}_{y}.txt,
 * ICR{y}.txt, holding the impact vector as comma-separated values on one line, in the order
 * RT, ET, X, NL, A, DC. Reading is lenient in layout (one line, or one value per line) and
 * strict in content (five or six numbers in [-1, 1]).
 */

const FILE_RE = /^I(M|C)(\d+)_(\d+)\.txt$|^ICR(\d+)\.txt$/;

export function fileNameForLabel(label: string): string {
  return `I${label}.txt`;
}

/** The action label a file name stands for (IM1_2.txt -> M1_2), or undefined when it is not one. */
export function labelForFileName(name: string): string | undefined {
  const m = FILE_RE.exec(name);
  if (!m) return undefined;
  if (m[4] !== undefined) return `CR${Number(m[4])}`;
  return `${m[1]}${Number(m[2])}_${Number(m[3])}`;
}

export function formatVector(v: ImpactVector): string {
  return vectorToArray(v).map((x) => String(Math.round(x * 1e6) / 1e6 + 0)).join(',');
}

/** Writes one file atomically (temp + rename), so an interrupted write never leaves half a vector. */
export async function writeVectorFile(dir: string, label: string, v: ImpactVector): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, fileNameForLabel(label));
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${formatVector(v)}\n`);
  await rename(tmp, file);
  return file;
}

export const appDir = (outDir: string, appId: number): string => join(outDir, `app-${appId}`);

/** How DC is filled for a five-value (original, DC-less) file. */
export interface FiveValueFill {
  /** copies in the family before a copy action (1 in training) */
  copies: number;
  maxCopies: number;
  rhoConsistency: number;
}

/**
 * Parses the text of one vector file. Five values are the original's layout without DC: a move
 * or change of reference leaves the copy count alone (DC = 0); a copy adds one copy, so its DC is
 * the same one-extra-copy impact training computes (`copyConsistencyImpact`).
 */
export function parseVectorText(text: string, file: string, label: string, fill: FiveValueFill): ImpactVector {
  const tokens = text
    .split(/[,\n\r]+/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  if (tokens.length !== 5 && tokens.length !== 6) {
    throw new UserError(`${file}: expected 5 or 6 comma-separated values (RT, ET, X, NL, A[, DC]), found ${tokens.length}`);
  }
  const values = tokens.map((t, i) => {
    const n = Number(t);
    // Number('') and Number(' ') are 0; tokens are non-empty and trimmed, so only real numbers pass
    if (!Number.isFinite(n) || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
      throw new UserError(`${file}: value ${i + 1} (${METRICS[i]}) is ${JSON.stringify(t)}, not a number`);
    }
    if (n < -1 || n > 1) throw new UserError(`${file}: value ${i + 1} (${METRICS[i]}) is ${t}, outside [-1, 1]`);
    return n;
  });
  if (values.length === 5) values.push(label.startsWith('C') && !label.startsWith('CR') ? copyConsistencyImpact(fill.copies, fill.maxCopies, fill.rhoConsistency) : 0);
  return arrayToVector(values);
}

export interface ImportedVector {
  appId: number;
  label: string;
  vector: ImpactVector;
  file: string;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads every vector file under `dir`: either `dir/app-<id>/I*.txt` for several apps, or
 * `dir/I*.txt` for one app named by `appId`. Everything is validated before anything is
 * returned, so a bad file imports nothing.
 */
export async function readVectorDir(dir: string, fill: FiveValueFill, appId?: number): Promise<ImportedVector[]> {
  if (!(await isDir(dir))) throw new UserError(`--import ${dir}: not a directory; give the folder holding app-<id>/IM{x}_{y}.txt files`);
  const entries = await readdir(dir, { withFileTypes: true });
  const sources: { appId: number; dir: string }[] = [];
  for (const e of entries) {
    const m = /^app-(\d+)$/.exec(e.name);
    if (e.isDirectory() && m && (appId === undefined || Number(m[1]) === appId)) sources.push({ appId: Number(m[1]), dir: join(dir, e.name) });
  }
  const topLevel = entries.filter((e) => e.isFile() && labelForFileName(e.name));
  if (topLevel.length) {
    if (appId === undefined) throw new UserError(`--import ${dir}: holds vector files directly (${topLevel[0].name}, ...); name their app with --app ID, or put them in ${dir}/app-<id>/`);
    sources.push({ appId, dir });
  }
  const out: ImportedVector[] = [];
  for (const src of sources.sort((a, b) => a.appId - b.appId)) {
    const names = (await readdir(src.dir)).sort();
    for (const name of names) {
      const label = labelForFileName(name);
      if (!label) continue;
      const file = join(src.dir, name);
      const text = await readFile(file, 'utf8');
      out.push({ appId: src.appId, label, vector: parseVectorText(text, file, label, fill), file });
    }
  }
  if (out.length === 0) {
    throw new UserError(`--import ${dir}: no vector files found${appId !== undefined ? ` for app ${appId}` : ''}; expected app-<id>/IM{x}_{y}.txt, IC{x}_{y}.txt, ICR{y}.txt`);
  }
  return out;
}
