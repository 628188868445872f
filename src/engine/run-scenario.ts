import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { breachesOf } from '../contract/describe-run-health.ts';
import { newRunCredential } from '../auth/run-credential.ts';
import { checkWireEngine, startToxiproxyEngine, type WireEngine } from '../chaos/engine/wire-engine.ts';
import type { RunEvent, RunEventListener } from '../events.ts';
import { buildTimeline, type Timeline } from '../observe/timeline.ts';
import { planScenario, type Plan } from '../plan/plan-scenario.ts';
import type { RunResult } from '../report/run-result.ts';
import { checkReportsDir, reportDirName, writeReports } from '../report/write-reports.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { DEFAULT_MAX_TRACES_PER_SECOND } from '../trace/defaults.ts';
import { otelSettingsFromEnv, type OtelSettings } from '../trace/otel-settings.ts';
import { summariseTraces } from '../trace/trace-summary.ts';
import { writeTraces } from '../trace/write-traces.ts';
import { evaluateExpectations } from '../verdict/evaluate.ts';
import type { RunFacts, Verdict } from '../verdict/verdict.ts';
import { LOAD_DEFAULTS } from '../load/load-defaults.ts';
import { measureRun, type Measured } from './measure-run.ts';
import { runHealthOf } from './run-health-of.ts';
import { startRunTelemetry, type RunTelemetry } from './run-telemetry.ts';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export interface RunOptions {
  runtime: Runtime;
  /** Folder under which the run's report folder is created; null writes no reports. @default null */
  reportsDir?: string | null;
  onEvent?: RunEventListener;
  /** Aborting stops the run early: what was measured is still evaluated, reported and torn down. */
  signal?: AbortSignal;
  /** Gap between the last config push and the start of the load, so every sidecar has applied it. @default 200 */
  settleMs?: number;
  /** Warm-up traffic before second 0 (not measured), so the first second is not a cold start. 0 = none. @default LOAD_DEFAULTS.warmupMs (2000) */
  warmupMs?: number;
  /** Emit `live-stats` once a second (for a live view; costs one admin request per sidecar per second). @default false */
  liveStats?: boolean;
  /**
  Traces: every sidecar exports spans to an OTLP receiver in the harness; they land in the run's
  traces.json, and go on with the run's own spans to the user's collector when the standard OTEL_*
  variables name one (docs/traces.md). Head sampling at the ingress: `sampleRatio` of the requests
  (unset: as OTEL_TRACES_SAMPLER says, else all), at most `maxTracesPerSecond` of them a second
  (0 = no limit), which bounds what tracing costs; `maxSpans` bounds what the harness keeps.
  false = no tracing, no export. @default { sampleRatio: OTEL_TRACES_SAMPLER's or 1, maxTracesPerSecond: 500, maxSpans: 400000 }
  */
  tracing?: { sampleRatio?: number; maxTracesPerSecond?: number; maxSpans?: number } | false;
  /**
  The run's credential, which every write to its sidecars, fault engine and trace receiver must
  carry. Pass one only to drive the run from outside the harness as well; it is never printed or
  written anywhere.
  @default a new random one (32 bytes from the OS)
  */
  credential?: string;
}

export interface RunOutcome {
  result: RunResult;
  reportDir: string | null;
  /** The signal was aborted (Ctrl-C, SIGTERM, q) before the run returned. */
  interrupted: boolean;
  /**
  The load had finished when the run returned. An interrupt after that point (during the teardown,
  the verdicts or the reports) costs nothing that was measured: the verdicts are complete.
  */
  loadFinished: boolean;
}

/**
The effectful runner: checks what can be checked before anything starts, measures the run
(measure-run.ts: up → push → load → collect → teardown), decides the expectations and writes the
reports. Whatever happens — success, a failure mid-run, an abort — the topology is torn down and
what was measured is kept.
*/
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunOutcome> {
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  // The run's credential: the control plane, the fault driver and the sidecars' span exports carry
  // it; sidecars, the fault engine and the receiver refuse writes without it (docs/security-model.md).
  const credential = options.credential ?? newRunCredential();
  const plan = planScenario(scenario, runId);
  const { tracing, otel } = await checkBeforeStart(scenario, plan, options);
  // The SDK is loaded only when the user named somewhere to send spans.
  const telemetry: RunTelemetry | null = otel
    ? await startRunTelemetry(otel, { runId, scenario: scenario.name, file: scenario.source.file, seed: scenario.seed, runtime: options.runtime.name, version })
    : null;
  const emit = (e: RunEvent) => {
    telemetry?.onEvent(e);
    options.onEvent?.(e);
  };
  const startedAt = new Date();
  const realEngine = await reachRealToxiproxy(scenario, plan, options.signal, telemetry);
  // Known before the run, so users' programs can write their output into it as they run.
  const reportDir = options.reportsDir ? join(options.reportsDir, reportDirName({ startedAt: startedAt.toISOString(), scenario })) : null;
  emit({ type: 'run-starting', at: Date.now(), scenario: scenario.name, runId });
  const measured = await measureRun({
    plan,
    credential,
    runtime: options.runtime,
    emit,
    signal: options.signal,
    telemetry,
    realEngine,
    tracing: tracing && { sampleRatio: tracing.sampleRatio ?? otel?.sampler?.ratio ?? 1, maxTracesPerSecond: tracing.maxTracesPerSecond ?? DEFAULT_MAX_TRACES_PER_SECOND, maxSpans: tracing.maxSpans },
    logsDir: reportDir ? join(reportDir, LOGS_DIR) : null,
    settleMs: options.settleMs ?? 200,
    warmupMs: options.warmupMs ?? LOAD_DEFAULTS.warmupMs,
    liveStats: options.liveStats ?? false,
  });

  const interrupted = options.signal?.aborted ?? false;
  if (interrupted && !measured.error && !measured.loadFinished) measured.error = 'interrupted: the run was stopped before the end of its load';
  const { timeline, facts } = whatHappened(scenario, plan, measured);
  telemetry?.phase('verdicts');
  const verdicts = evaluateExpectations(scenario, timeline, facts);
  if (facts.health) emit({ type: 'harness-health', at: Date.now(), health: facts.health, breaches: breachesOf(verdicts) });
  for (const v of verdicts) emit({ type: 'expectation-settled', at: Date.now(), verdict: v });
  const passed = measured.error === null && verdicts.every((v) => v.status === 'held');
  // The run's spans end here and the export is flushed, so the reports can say what was sent.
  await telemetry?.finish({ passed, error: measured.error }, options.signal);
  const result = runResult({ runId, scenario, plan, runtime: options.runtime.name, startedAt, passed, verdicts, timeline, facts, measured, reportDir, telemetry });
  if (reportDir) {
    await writeReports(result, reportDir);
    if (measured.receiver && result.traces) await writeTraces(reportDir, runId, result.traces, measured.receiver.store.spans());
  }
  emit({ type: 'run-finished', at: Date.now(), passed, reportDir });
  return { result, reportDir, interrupted, loadFinished: measured.loadFinished };
}

/**
What can go wrong before anything starts, found before anything starts (exit 2): chaos.engine:
toxiproxy without a server to use, a reports folder the run could not write into once it is over,
a bad OTEL_* variable. Returns the run's tracing settings.
*/
async function checkBeforeStart(scenario: Scenario, plan: Plan, options: RunOptions): Promise<{ tracing: Exclude<RunOptions['tracing'], false | undefined> | null; otel: OtelSettings | null }> {
  if (plan.wire) checkWireEngine(scenario.chaos, { runtime: options.runtime.name, file: scenario.source.file });
  if (options.reportsDir) await checkReportsDir(options.reportsDir, scenario, new Date());
  const tracing = options.tracing === false ? null : (options.tracing ?? {});
  return { tracing, otel: tracing ? otelSettingsFromEnv() : null };
}

/**
A real Toxiproxy takes the place of meshproof's engine (the runtime then starts none). It is reached,
or started, before anything else: without one the run cannot happen (exit 2).
*/
async function reachRealToxiproxy(scenario: Scenario, plan: Plan, signal: AbortSignal | undefined, telemetry: RunTelemetry | null): Promise<WireEngine | null> {
  if (!plan.wire || scenario.chaos.engine !== 'toxiproxy') return null;
  try {
    return await startToxiproxyEngine(scenario.chaos, { runId: plan.runId, signal });
  } catch (err) {
    await telemetry?.finish({ passed: false, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

/** The run's timeline and the facts the event-based expectations read, from what was measured. */
function whatHappened(scenario: Scenario, plan: Plan, measured: Measured): { timeline: Timeline; facts: RunFacts } {
  const seconds = Math.max(1, Math.ceil(plan.load.durationMs / 1000));
  const timeline = buildTimeline(measured.t0, seconds, [measured.load.series, ...measured.sidecarSeries]);
  const facts: RunFacts = { t0: measured.t0, faults: measured.faults, events: measured.events, states: measured.states, health: runHealthOf(scenario, plan, measured) };
  const receiver = measured.receiver;
  if (receiver) {
    const store = receiver.store;
    const sidecarDropped = Object.values(measured.sidecarSpans).reduce((a, s) => a + s.spans_dropped, 0);
    facts.traces = { attempts: (...a) => store.attempts(...a), dropped: store.dropped, sidecarDropped };
  }
  return { timeline, facts };
}

/** result.json's content. */
function runResult(r: {
  runId: string;
  scenario: Scenario;
  plan: Plan;
  runtime: Runtime['name'];
  startedAt: Date;
  passed: boolean;
  verdicts: Verdict[];
  timeline: Timeline;
  facts: RunFacts;
  measured: Measured;
  reportDir: string | null;
  telemetry: RunTelemetry | null;
}): RunResult {
  const { plan, measured, facts, reportDir } = r;
  const summary = measured.load.summary;
  const receiver = measured.receiver;
  return {
    format: 2,
    meshproofVersion: version,
    runId: r.runId,
    scenario: r.scenario,
    runtime: r.runtime,
    startedAt: r.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    passed: r.passed,
    error: measured.error,
    verdicts: r.verdicts,
    timeline: r.timeline,
    events: facts.events,
    faults: facts.faults,
    states: facts.states,
    endpointRemovalDelayMs: measured.endpointRemovalDelayMs,
    load: {
      requests: summary?.requests ?? 0,
      errors: summary?.errors ?? 0,
      status: summary?.status ?? {},
      errorKinds: summary?.errorKinds ?? {},
      targetRate: plan.load.model === 'closed' ? null : plan.load.phases.reduce((a, p) => a + p.rate * p.durationMs, 0) / Math.max(1, plan.load.durationMs),
      achievedRate: summary?.honesty.achievedRate ?? 0,
      honesty: summary?.honesty ?? null,
      ...(summary?.sender && plan.load.model !== 'closed' ? { sender: summary.sender } : {}),
    },
    instances: measured.pods
      ? [
          ...measured.pods.map((p) => ({
            instance: p.instance,
            service: p.service,
            ports: { inbound: p.inbound.port, outbound: p.outbound.port, admin: Number(new URL(p.adminUrl).port), ...(p.appPort ? { app: p.appPort } : {}) },
            ...(p.logFile && reportDir ? { log: `${LOGS_DIR}/${basename(p.logFile)}` } : {}),
          })),
          ...measured.externals.map((e) => ({ instance: e.instance, service: e.service, ports: { app: e.address.port } })),
        ]
      : logsOf(plan.pods, reportDir),
    configPushMs: measured.configPushMs,
    health: facts.health!,
    ...(receiver ? { traces: summariseTraces(receiver.store, receiver.stats(), measured.sidecarSpans, r.telemetry?.stats() ?? null, { fromMs: measured.t0, toMs: measured.t0 + plan.load.durationMs }) } : {}),
  };
}

/** Folder of a report where users' programs write their output, one `<instance>.log` each. */
const LOGS_DIR = 'logs';

/**
The logs of a run whose topology never came up (a program that did not start): those written before
the failure are still worth a link, the failing one's above all.
*/
function logsOf(pods: readonly { instance: string; service: string }[], reportDir: string | null): RunResult['instances'] {
  if (!reportDir) return [];
  return pods
    .filter((p) => existsSync(join(reportDir, LOGS_DIR, `${p.instance}.log`)))
    .map((p) => ({ instance: p.instance, service: p.service, ports: {}, log: `${LOGS_DIR}/${p.instance}.log` }));
}
