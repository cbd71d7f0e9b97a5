/**
 * The environment for a child process of a test: the parent's, without the FOGSIM_* settings
 * that point at servers (CI and developers export FOGSIM_MYSQL_URL and friends for the real
 * tier), plus what the test gives. Without this, a child would quietly use the real servers
 * instead of the ones its test started.
 */
export function isolatedEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('FOGSIM_') && k !== 'FOGSIM_LOG_LEVEL' && k !== 'FOGSIM_CACHE') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * For a runtime that starts children with the parent's environment plus a spec (the process
 * runtime): the same FOGSIM_* settings isolatedEnv drops, blanked, so a child cannot reach the
 * real servers either (an empty setting counts as unset).
 */
export function blankedServerEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of Object.keys(process.env)) if (k.startsWith('FOGSIM_') && k !== 'FOGSIM_LOG_LEVEL' && k !== 'FOGSIM_CACHE') env[k] = '';
  return { ...env, ...extra };
}
