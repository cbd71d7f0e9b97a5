import type { Command } from 'commander';
import type { JobFlags } from '../actions/job.js';

export function registerJob(program: Command): void {
  program
    .command('job')
    .description('run the analytic job (average cholesterol) once; prints one JSON line')
    .option('--file <path>', 'a local data set (JSON array; .gz is gunzipped on the fly)')
    .option('--bucket <bucket>', 'bucket of the object store (FOGSIM_S3_ENDPOINT, else the embedded store under FOGSIM_DATA_DIR/s3)')
    .option('--object <key>', 'object key in --bucket')
    .option('--field <name>', 'numeric field to average', 'cholesterol')
    .action(async (flags: JobFlags) => (await import('../actions/job.js')).job(flags));
}
