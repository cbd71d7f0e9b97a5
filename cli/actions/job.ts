import { join } from 'node:path';
import { UserError } from '../../model/errors.js';
import { runJobOnFile, runJobOnObject, type JobResult } from '../../nodes/job/job.js';

export interface JobFlags {
  file?: string;
  bucket?: string;
  object?: string;
  field?: string;
}

export async function job(flags: JobFlags): Promise<void> {
  const result = await runJob(flags);
  // the six fields of the contract, in a fixed order
  const { avg, records, skipped, bytes, rtMs, etMs, throughput } = result;
  console.log(JSON.stringify({ avg, records, skipped, bytes, rtMs, etMs, throughput }));
}

/** --file loads the job alone; the object store, its settings and the embedded S3 server only for --bucket/--object. */
async function runJob(flags: JobFlags): Promise<JobResult> {
  const opts = { field: flags.field };
  if (flags.file !== undefined) {
    if (flags.bucket !== undefined || flags.object !== undefined) throw new UserError('--file cannot be combined with --bucket/--object: give one source');
    return runJobOnFile(flags.file, opts);
  }
  if (flags.bucket === undefined && flags.object === undefined) {
    throw new UserError('give the data set: --file <path>, or --bucket <bucket> --object <key>');
  }
  if (flags.bucket === undefined) throw new UserError('--bucket: missing; --object needs the bucket it lives in, e.g. --bucket node-3');
  if (flags.object === undefined) throw new UserError(`--object: missing; give the key in bucket ${flags.bucket}, e.g. --object bloodtests.json`);
  const [{ readInfraConfig }, { openObjectStore }, { embeddedS3Credentials, startEmbeddedS3 }] = await Promise.all([
    import('../../util/config.js'),
    import('../../objectstore/open.js'),
    import('../../objectstore/embedded-s3/index.js'),
  ]);
  const cfg = readInfraConfig();
  // with no FOGSIM_S3_ENDPOINT the embedded store's files are read through a short-lived server
  const dir = join(cfg.dataDir, 's3');
  const embedded = cfg.s3Endpoint ? undefined : await startEmbeddedS3({ dir, host: '127.0.0.1', port: 0, credentials: embeddedS3Credentials(dir, { accessKey: cfg.s3AccessKey, secretKey: cfg.s3SecretKey }).credentials });
  try {
    const objects = openObjectStore(cfg, embedded);
    return await runJobOnObject(objects, flags.bucket, flags.object, opts);
  } finally {
    await embedded?.close();
  }
}
