import { defineConfig } from 'vitest/config';

/**
Tests that only compute (the scenario language, plans, verdicts, reports, policies on a fake clock):
they start no process, open no socket and time nothing, so they run first, two files at a time.
*/
const COMPUTING = [
  'test/explain/**/*.test.ts',
  'test/observe/**/*.test.ts',
  'test/report/**/*.test.ts',
  'test/security/**/*.test.ts',
  'test/tools/**/*.test.ts',
  'test/verdict/**/*.test.ts',
  'test/scenario/**/*.test.ts',
  'test/sim/policy/**/*.test.ts',
  'test/sim/control-plane/**/*.test.ts',
  'test/plan/plan-*.test.ts',
  'test/util/code-layout.test.ts',
  'test/util/format.test.ts',
  'test/util/resource-stack.test.ts',
  'test/contract/describe-run-health.test.ts',
];

const shared = {
  pool: 'forks',
  // node:test, which these tests were written for, has no default timeout: a test that needs
  // longer than this says so with its own `{ timeout }`.
  testTimeout: 60_000,
  hookTimeout: 60_000,
  teardownTimeout: 30_000,
  // Ink's live view patches the console through console.Console, which vitest's own console lacks.
  disableConsoleIntercept: true,
} as const;

/**
The test runner. Everything else runs one file at a time, after the computing tests: many tests
start real processes, sockets and scenario runs whose timing a second file on the same two cores
would disturb; tests inside a file run in order, as written. Each file gets its own process (forks),
so a test that changes process state (signals, cwd, env) cannot leak into another file.
*/
export default defineConfig({
  test: {
    projects: [
      // One worker for all of them: nothing they do outlives a file (they were written for node:test's own process per file, and pass shared).
      { test: { ...shared, name: 'computing', include: COMPUTING, isolate: false, sequence: { groupOrder: 0 } } },
      { test: { ...shared, name: 'system', include: ['test/**/*.test.ts'], exclude: COMPUTING, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
