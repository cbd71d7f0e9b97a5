import type { Command } from 'commander';
import type { TrainFlags } from '../actions/train.js';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('offline training: measure every move/copy of the data set per app and write the impact vectors (resumable)')
    .option('--scenario <file>', 'scenario YAML file')
    .option('--iterations <n>', 'N: runs per node and pair (default: the scenario\'s training.iterations)')
    .option('--app <id>', 'train (or import) only this app; a comma-separated list for several')
    .option('--out <dir>', 'folder for the per-app IM/IC/ICR files (default: <FOGSIM_DATA_DIR>/training/<scenario name>, where run and up read them)')
    .option('--concurrency <k>', 'apps trained at once (default: number of apps)')
    .option('--import <dir>', 'import vector files in the original format (app-<id>/IM{x}_{y}.txt, ...) instead of training; with --scenario also written where run and up read them')
    .option('--fresh', 'retrain everything instead of resuming from what is stored')
    .action(async (flags: TrainFlags) => (await import('../actions/train.js')).train(flags));
}
