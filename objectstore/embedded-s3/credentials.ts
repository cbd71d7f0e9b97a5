import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../model/errors.js';

export interface S3Credentials {
  accessKey: string;
  secretKey: string;
}

/** where the embedded server keeps its generated pair: a dot file, never listed as a bucket (storage.ts) */
export const CREDENTIALS_FILE = '.credentials.json';

export interface ResolvedCredentials {
  credentials: S3Credentials;
  /** environment: FOGSIM_S3_ACCESS_KEY / FOGSIM_S3_SECRET_KEY; generated: new in this data folder; stored: generated earlier */
  source: 'environment' | 'generated' | 'stored';
  file?: string;
}

/**
 * The keys of the embedded S3 server on `dir`: the configured pair when FOGSIM_S3_ACCESS_KEY and
 * FOGSIM_S3_SECRET_KEY are set, else a random pair generated once and kept in `dir` (mode 0600),
 * so it is stable per data folder and no two folders share a well-known default.
 */
export function embeddedS3Credentials(dir: string, configured: { accessKey?: string; secretKey?: string } = {}): ResolvedCredentials {
  if (configured.accessKey !== undefined || configured.secretKey !== undefined) {
    if (!configured.accessKey || !configured.secretKey) {
      throw new UserError('FOGSIM_S3_ACCESS_KEY and FOGSIM_S3_SECRET_KEY: set both (non-empty) or neither (the embedded S3 server then generates a pair for its data folder)');
    }
    return { credentials: { accessKey: configured.accessKey, secretKey: configured.secretKey }, source: 'environment' };
  }
  const file = path.join(dir, CREDENTIALS_FILE);
  const stored = readStored(file);
  if (stored) return { credentials: stored, source: 'stored', file };
  const fresh = { accessKey: `fogsim-${randomBytes(6).toString('hex')}`, secretKey: randomBytes(24).toString('base64url') };
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(file, JSON.stringify(fresh) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // another process on the same folder wrote its pair first: use that one
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const theirs = readStored(file);
      if (theirs) return { credentials: theirs, source: 'stored', file };
    }
    throw err;
  }
  return { credentials: fresh, source: 'generated', file };
}

function readStored(file: string): S3Credentials | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const c = JSON.parse(text) as Partial<S3Credentials>;
    if (typeof c.accessKey === 'string' && c.accessKey && typeof c.secretKey === 'string' && c.secretKey) return { accessKey: c.accessKey, secretKey: c.secretKey };
  } catch {
    // reported below
  }
  throw new UserError(`${file}: not a credentials file ({"accessKey","secretKey"}); delete it to generate a new pair, or set FOGSIM_S3_ACCESS_KEY and FOGSIM_S3_SECRET_KEY`);
}

/** One line for a start-up banner: the keys, and where they come from (a generated pair is printed so clients can use it). */
export function describeKeys(r: ResolvedCredentials): string {
  if (r.source === 'environment') return `keys from FOGSIM_S3_ACCESS_KEY / FOGSIM_S3_SECRET_KEY (access key ${r.credentials.accessKey})`;
  return `access key ${r.credentials.accessKey}, secret key ${r.credentials.secretKey} (${r.source === 'generated' ? 'generated now and kept' : 'kept'} in ${r.file}; set FOGSIM_S3_ACCESS_KEY / FOGSIM_S3_SECRET_KEY to choose them)`;
}
