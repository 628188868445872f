import { defineConfig } from 'vitest/config';

/**
Tests that only compute (the scenario language, plans, verdicts, reports, policies on a fake clock):
they start no process, open no socket and time nothing, so they run first, in one worker (vitest's
default on 2 cores; two workers measured no faster: 12 s vs 16 s).
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
  'test/sim/http1/message-parser.test.ts',
  'test/plan/plan-*.test.ts',
  'test/util/code-layout.test.ts',
  'test/util/format.test.ts',
  'test/util/resource-stack.test.ts',
  'test/contract/describe-run-health.test.ts',
];

/**
System tests whose verdicts depend on no timing: status codes, API conformance, files written,
processes reaped, image keys, refusals, parsing through the CLI, renders of scripted runs. They
start real processes and sockets, but nothing they assert is a latency, a rate, a deadline or a
scenario's verdict, so a second file on the other core cannot change their outcome: they run two
files at a time, after the computing tests and before the timed ones. Each file was read to put it
here; one that judges anything against a clock (a timeout answered 504, a redraw rate, a fault's
due time, a scenario's held/failed) stays in "system", as does one that is unsure.
*/
const UNTIMED = [
  'test/api/docs.test.ts',
  'test/api/exit-code.test.ts',
  'test/api/scenario-files.test.ts',
  'test/api/step-summary.test.ts',
  'test/auth/**/*.test.ts',
  'test/bench/arrival-judgment.test.ts',
  'test/bench/kernel-stamp-recorder.test.ts',
  'test/bench/scale.test.ts',
  'test/chaos/links/wire.test.ts',
  'test/chaos/toxiproxy/api-conformance.test.ts',
  'test/chaos/toxiproxy/api-lock.test.ts',
  'test/chaos/toxiproxy/main.test.ts',
  'test/cli/output-mode.test.ts',
  'test/cli/strict.test.ts',
  'test/contract/reworded-events.test.ts',
  'test/e2e/cli.test.ts',
  'test/e2e/report-command.test.ts',
  'test/engine/run-health-of.test.ts',
  'test/engine/run-spans.test.ts',
  'test/engine/run-telemetry.test.ts',
  'test/init/**/*.test.ts',
  'test/k8s/**/*.test.ts',
  'test/load/arrival-schedule.test.ts',
  'test/process/**/*.test.ts',
  'test/runtime/docker/dependency-tree.test.ts',
  'test/runtime/docker/engine.test.ts',
  'test/runtime/docker/otlp-relay.test.ts',
  'test/runtime/docker/runtime-image-key.test.ts',
  'test/runtime/local/lean-children.test.ts',
  'test/runtime/local/own-program.test.ts',
  'test/sim/admin-lock.test.ts',
  'test/sim/sidecar/admin.test.ts',
  'test/sim/sidecar/bodies.test.ts',
  'test/sim/sidecar/locality-split.test.ts',
  'test/sim/sidecar/parts.test.ts',
  'test/trace/attempts-expectation.test.ts',
  'test/trace/bench-report.test.ts',
  'test/trace/cli-traces.test.ts',
  // Its runs judge what was exported (any exit code, 3 included), against deadlines (a 10 s export, a 120 s run) far above the work.
  'test/trace/otel-export.test.ts',
  'test/trace/otel-settings.test.ts',
  'test/trace/otlp-to-readable-spans.test.ts',
  'test/trace/receiver.test.ts',
  'test/trace/trace-store.test.ts',
  'test/tui/components.test.ts',
  'test/tui/event-time.test.ts',
  'test/tui/run-view-state.test.ts',
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
The test runner. Everything else runs one file at a time, after the untimed tests: these start
real processes, sockets and scenario runs whose timing a second file on the same two cores would
disturb; tests inside a file run in order, as written. Each file gets its own process (forks),
so a test that changes process state (signals, cwd, env) cannot leak into another file.
*/
export default defineConfig({
  test: {
    projects: [
      // One worker for all of them: nothing they do outlives a file (they were written for node:test's own process per file, and pass shared).
      { test: { ...shared, name: 'computing', include: COMPUTING, isolate: false, sequence: { groupOrder: 0 } } },
      // Two workers: vitest's default on 2 cores is one (cores - 1).
      { test: { ...shared, name: 'untimed', include: UNTIMED, maxWorkers: 2, sequence: { groupOrder: 1 } } },
      // Its global setup starts building the Docker runtime image when the run begins (every project's
      // global setup runs before any test), so the build overlaps the two groups above instead of
      // holding up the first Docker file; no file of this group starts before the build is over.
      { test: { ...shared, name: 'system', globalSetup: ['test/helpers/prebuild-runtime-image.ts'], setupFiles: ['test/helpers/wait-for-prebuild.ts'], include: ['test/**/*.test.ts'], exclude: [...COMPUTING, ...UNTIMED], fileParallelism: false, sequence: { groupOrder: 2 } } },
    ],
  },
});
