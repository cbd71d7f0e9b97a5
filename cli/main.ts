import { Command, CommanderError } from 'commander';
import { FogsimError } from '../model/errors.js';
import { readDebug } from '../util/config.js';
import { exitCodeFor } from './exit-codes.js';
import { registerValidate } from './commands/validate.js';
import { registerDataset } from './commands/dataset.js';
import { registerJob } from './commands/job.js';
import { registerProxy } from './commands/proxy.js';
import { registerTrain } from './commands/train.js';
import { registerUp } from './commands/up.js';
import { registerRun } from './commands/run.js';
import { registerAddNode } from './commands/add-node.js';

const program = new Command();
program
  .name('fogsim')
  .description('fog-computing QoS self-adaptation testbed')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

for (const register of [registerValidate, registerDataset, registerJob, registerProxy, registerTrain, registerUp, registerRun, registerAddNode]) {
  register(program);
}

try {
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
