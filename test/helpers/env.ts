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

