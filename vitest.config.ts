import { defineConfig } from 'vitest/config';

/**
The test runner. Files run one at a time: many tests start real processes, sockets and scenario
runs whose timing a second file on the same two cores would disturb; tests inside a file run in
order, as written. Each file gets its own process (forks), so a test that changes process state
(signals, cwd, env) cannot leak into another file.
*/
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    // node:test, which these tests were written for, has no default timeout: a test that needs
    // longer than this says so with its own `{ timeout }`.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    // Ink's live view patches the console through console.Console, which vitest's own console lacks.
    disableConsoleIntercept: true,
  },
});
