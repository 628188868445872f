import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runScenario } from '../../../src/engine/run-scenario.ts';
import { LocalRuntime } from '../../../src/runtime/local/local-runtime.ts';
import { processesOfRun } from '../../../src/process/run-processes.ts';
import { parseScenario } from '../../../src/scenario/parse-scenario.ts';
import { FIXTURES, NODE, tempDir } from './helpers.ts';

/**
A whole run where every instance is a user's program: a pause (SIGSTOP to a program's group) and a
latency toxic on a link into another, decided by the same expectations as for built-in services,
with the sidecars' spans connecting both programs in one trace.
*/
const SCENARIO = `version: 1
name: own-programs-under-faults
description: A relay program in front of two app programs; one hangs, the link to the other gets slow.
seed: 5
duration: 6s
services:
  front:
    command: [${JSON.stringify(NODE)}, relay.mjs]
    env: { UPSTREAM: "\${STORE_URL}" }
    calls: [store]
  store:
    replicas: 2
    command: [${JSON.stringify(NODE)}, app.mjs]
    env: { MODE: listen-late, DELAY_MS: 0 }
mesh:
  store:
    retries: { attempts: 2, perTryTimeout: 400ms, retryOn: [5xx, reset, connect-failure] }
    connectionPool: { maxRetries: 50 }
    outlierDetection: { consecutive5xx: 2, interval: 500ms, baseEjectionTime: 1s, maxEjectionPercent: 50% }
load: { target: front, rate: 40/s, connections: 40 }
faults:
  - { name: hang, at: 1s, for: 2s, target: store-1, process: pause }
  # To the end of the run: the per-second buckets of the window are all slowed.
  - { name: slow-link, at: 3.5s, target: front -> store-0, toxic: { type: latency, latency: 100 } }
expect:
  - success_rate(client) >= 95%
  - state(store-1) == paused at hang.start from +500ms
  - retries(front -> store) > 0 during hang
  - ejected(store-1) within 2s after hang.start
  - p50(front -> store-0) >= 100ms during slow-link from +500ms
`;

test('pause and a toxic on programs: the expectations see them as on built-in services, and the traces run through both programs', async () => {
  const parsed = parseScenario(SCENARIO, join(FIXTURES, 'scenario.yaml'));
  expect(parsed.issues).toEqual([]);
  const reports = tempDir('meshproof-reports-');
  const outcome = await runScenario(parsed.scenario!, { runtime: new LocalRuntime({ stateDir: tempDir('meshproof-state-') }), reportsDir: reports });
  const r = outcome.result;
  expect(r.error).toBeNull();
  expect(r.verdicts.map((v) => [v.expectation.text, v.status, v.explanation])).toEqual(r.verdicts.map((v) => [v.expectation.text, 'held', v.explanation]));
  expect(r.faults.map((f) => f.detail)).toEqual([
    expect.stringMatching(/^SIGSTOP sent to the program of store-1 \(process group \d+\)/),
    expect.stringMatching(/latency/),
  ]);
  // Spans of both programs' sidecars in one trace: front's inbound, its call to store, store's inbound.
  const traces = (await import('node:fs')).readFileSync(join(outcome.reportDir!, 'traces.json'), 'utf8');
  const spans = (JSON.parse(traces) as { spans: { traceId: string; service: string }[] }).spans;
  const byTrace = new Map<string, Set<string>>();
  for (const s of spans) byTrace.set(s.traceId, (byTrace.get(s.traceId) ?? new Set()).add(s.service));
  expect([...byTrace.values()].filter((s) => s.has('front') && s.has('store')).length).toBeGreaterThan(100);
  expect(processesOfRun(r.runId)).toEqual([]);
}, 90_000);
