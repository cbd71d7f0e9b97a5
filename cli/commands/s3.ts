import type { Command } from 'commander';
import type { S3ServeFlags } from '../actions/s3.js';

export function registerS3(program: Command): void {
  const s3 = program.command('s3').description('the embedded S3-compatible object store');
  s3.command('serve')
    .description('run the embedded S3 server alone until Ctrl-C (keys: FOGSIM_S3_ACCESS_KEY / FOGSIM_S3_SECRET_KEY, else a random pair kept in --dir and printed)')
    .option('--port <port>', 'port of the S3 API (MinIO uses 9000)', '9000')
    .option('--host <host>', 'address to bind to', '127.0.0.1')
    .option('--dir <dir>', 'folder of buckets and objects (created if missing, kept across restarts)', '.fogsim/s3')
    .action(async (flags: S3ServeFlags) => (await import('../actions/s3.js')).serve(flags));
}
