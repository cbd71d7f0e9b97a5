import { defineConfig } from 'vitest/config';

// The real tier: the same contract suites, pointed at MariaDB, MinIO, Toxiproxy and Kafka
// through the FOGSIM_* variables that scripts/real/up.sh exports.
export default defineConfig({
  test: {
    globalSetup: ['test/helpers/wasm-build.ts'],
    include: ['test/**/*.contract.test.ts', 'test/real/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
});
