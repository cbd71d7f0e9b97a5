import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * vitest global setup: the job's WebAssembly module is compiled by `npm run build` (and so by
 * `npm install`); rebuild it here when it is missing or older than its source, so a test run
 * never scans with a stale fast path.
 */
export default function buildWasm(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const source = resolve(root, 'nodes/job/wasm/record-members.ts');
  const wasm = resolve(root, 'dist/nodes/job/wasm/record-members.wasm');
  if (existsSync(wasm) && statSync(wasm).mtimeMs >= statSync(source).mtimeMs) return;
  execSync('npm run build:wasm --silent', { cwd: root, stdio: 'inherit' });
}
