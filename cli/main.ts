import { Command, CommanderError } from 'commander';
import { FogsimError } from '../model/errors.js';
import { readDebug } from '../util/config.js';
import { exitCodeFor } from './exit-codes.js';
import { registerValidate } from './commands/validate.js';
import { registerDataset } from './commands/dataset.js';
import { registerJob } from './commands/job.js';
import { registerProxy } from './commands/proxy.js';
import { registerBench } from './commands/bench.js';
import { registerS3 } from './commands/s3.js';
import { registerTrain } from './commands/train.js';
import { registerUp } from './commands/up.js';
import { registerRun } from './commands/run.js';
import { registerSimulate } from './commands/simulate.js';
import { registerCalibrate } from './commands/calibrate.js';
import { registerCompare, registerSweep } from './commands/compare.js';
import { describeAddNode, registerAddNode } from './commands/add-node.js';
import { packageVersion } from './version.js';

/*
 * Start-up stays light: the command modules register names, options and descriptions only, and
 * each action imports its implementation (cli/actions/) when it runs, so `fogsim --help`,
 * `--version` and a command's `--help` load commander and nothing heavy, and `fogsim job --file`
 * loads the job alone.
 */
const program = new Command();
program
  .name('fogsim')
  .description('fog-computing QoS self-adaptation testbed')
  .version(packageVersion(), '-V, --version', 'print the version of fogsim')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

for (const register of [registerValidate, registerDataset, registerJob, registerProxy, registerS3, registerTrain, registerUp, registerRun, registerSimulate, registerCalibrate, registerCompare, registerSweep, registerBench]) {
  register(program);
}
const addNode = registerAddNode(program);

// The command the line names (`fogsim <command> ...` or `fogsim help <command>`); the program has no options of its own that take a value.
const args = process.argv.slice(2);
const named = args[0] === 'help' ? args[1] : args.find((a) => !a.startsWith('-'));

try {
  // add-node's help quotes bounds from modules that load zod: only when add-node is named
  if (named === 'add-node') await describeAddNode(addNode);
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander already printed its message (unknown option, missing argument, --help)
    process.exit(e.exitCode);
  }
  if (e instanceof FogsimError) {
    console.error(`fogsim: ${e.message}`);
    process.exit(exitCodeFor(e));
  }
  const err = e as Error;
  console.error(`fogsim: unexpected error: ${err.message}`);
  if (readDebug()) console.error(err.stack);
  else console.error('(set FOGSIM_DEBUG=1 for the stack trace)');
  process.exit(exitCodeFor(e));
}
