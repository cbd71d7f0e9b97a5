import { join } from 'node:path';

/*
 * Where impact vector files live, in one place: `fogsim train` writes there, `fogsim train
 * --import DIR --scenario S` copies there, `fogsim run` and `fogsim up` read there.
 *
 *   <dataDir>/training/<scenario name>/app-<id>/I*.txt          trained (or imported) vectors
 *   <dataDir>/training/<scenario name>/learned/app-<id>/I*.txt  learned online by the last run/up
 */

/** The scenario's vectors folder: `<dataDir>/training/<scenario name>` (odd characters of the name become `_`). */
export function vectorsDirFor(dataDir: string, scenarioName: string): string {
  const safe = scenarioName.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+$/, '_') || '_';
  return join(dataDir, 'training', safe);
}

/** The vectors learned online in earlier runs, kept beside the trained ones. */
export function learnedDirFor(vectorsDir: string): string {
  return join(vectorsDir, 'learned');
}
