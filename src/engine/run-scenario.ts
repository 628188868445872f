import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { newRunCredential } from '../auth/run-credential.ts';
import { MeshproofError } from '../errors.ts';
import type { LiveFigures, RunEvent, RunEventListener } from '../events.ts';
import type { LoadSummary } from '../load/load-generator.ts';
import { RemoteLoadGenerator } from '../load/remote-load-generator.ts';
import { Collector } from '../observe/collector.ts';
import { Histogram } from '../observe/histogram.ts';
import { buildTimeline } from '../observe/timeline.ts';
import { seriesKey, type SparseSeries } from '../contract/series.ts';
import { planScenario } from '../plan/plan-scenario.ts';
import type { RunResult } from '../report/run-result.ts';
import { checkReportsDir, reportDirName, writeReports } from '../report/write-reports.ts';
import type { Runtime, StartedTopology } from '../runtime/runtime.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { ControlPlane } from '../sim/control-plane/control-plane.ts';
import { evaluateExpectations } from '../verdict/evaluate.ts';
import type { RunFacts } from '../verdict/verdict.ts';
import { DEFAULT_ENDPOINT_REMOVAL_DELAY_MS } from '../chaos/schedule/endpoint-removal.ts';
import { FaultRunner } from '../chaos/schedule/fault-runner.ts';
import { planLinks } from '../chaos/links/link-plan.ts';
import { Wire } from '../chaos/links/wire.ts';
import { ToxiproxyDriver } from '../chaos/toxiproxy-driver.ts';
import { checkWireEngine, describeWireEngine, startToxiproxyEngine, type WireEngine } from '../chaos/engine/wire-engine.ts';
import type { TracingStats } from '../contract/span-sink.ts';
import { otelSettingsFromEnv } from '../trace/otel-settings.ts';
import { TraceReceiver } from '../trace/receiver.ts';
import { sidecarTracingStats } from '../trace/sidecar-tracing-stats.ts';
import { TraceStore } from '../trace/trace-store.ts';
import { DEFAULT_MAX_TRACES_PER_SECOND } from '../trace/defaults.ts';
import { summariseTraces } from '../trace/trace-summary.ts';
import { writeTraces } from '../trace/write-traces.ts';
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
  /** Warm-up traffic before second 0 (not measured), so the first second is not a cold start. 0 = none. @default 1000 */
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
The effectful runner: brings the plan's topology up, configures every sidecar, drives the load,
collects what every hop saw, decides the expectations and writes the reports. Whatever happens —
success, a failure mid-run, an abort — the topology is torn down and what was measured is kept.
*/
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunOutcome> {
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  // The run's credential: the control plane, the fault driver and the sidecars' span exports carry
  // it; sidecars, the fault engine and the receiver refuse writes without it (docs/security-model.md).
  const credential = options.credential ?? newRunCredential();
  const plan = planScenario(scenario, runId);
  // chaos.engine: toxiproxy without a server to use is found before anything starts.
  if (plan.wire) checkWireEngine(scenario.chaos, { runtime: options.runtime.name, file: scenario.source.file });
  // So is a reports folder the run could not write into once it is over.
  if (options.reportsDir) await checkReportsDir(options.reportsDir, scenario, new Date());
  const tracing = options.tracing === false ? null : (options.tracing ?? {});
  // The standard OTEL_* variables, checked before anything starts (a bad value is exit 2).
  const otel = tracing ? otelSettingsFromEnv() : null;
  const sampleRatio = tracing?.sampleRatio ?? otel?.sampler?.ratio ?? 1;
  // The SDK is loaded only when the user named somewhere to send spans.
  const telemetry: RunTelemetry | null = otel
    ? await startRunTelemetry(otel, { runId, scenario: scenario.name, file: scenario.source.file, seed: scenario.seed, runtime: options.runtime.name, version })
    : null;
  let receiver: TraceReceiver | null = null;
  let sidecarSpans: Record<string, TracingStats> = {};
  const emit = (e: RunEvent) => {
    telemetry?.onEvent(e);
    options.onEvent?.(e);
  };
  const startedAt = new Date();
  let topology: StartedTopology | null = null;
  let collector: Collector | null = null;
  let load: RemoteLoadGenerator | null = null;
  let clientSeries: SparseSeries = {};
  let loadSummary: LoadSummary = { requests: 0, errors: 0, status: {}, errorKinds: {}, elapsedMs: 0 };
  let controlPlane: ControlPlane | null = null;
  let faults: FaultRunner | null = null;
  let driver: ToxiproxyDriver | null = null;
  let wireEngine: WireEngine | null = null;
  let wire: Wire | null = null;
  let error: string | null = null;
  let t0 = Date.now();
  let sidecarSeries: SparseSeries[] = [];
  let loadFinished = false;
  // A real Toxiproxy takes the place of meshproof's engine (the runtime then starts none). It is
  // reached, or started, before anything else: without one the run cannot happen (exit 2).
  const realToxiproxy = plan.wire && scenario.chaos.engine === 'toxiproxy';
  if (realToxiproxy) {
    try {
      wireEngine = await startToxiproxyEngine(scenario.chaos, { runId, signal: options.signal });
    } catch (err) {
      await telemetry?.finish({ passed: false, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  const onAbort = () => load?.stop();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  // Known before the run, so users' programs can write their output into it as they run.
  const reportDirPlanned = options.reportsDir ? join(options.reportsDir, reportDirName({ startedAt: startedAt.toISOString(), scenario })) : null;
  emit({ type: 'run-starting', at: Date.now(), scenario: scenario.name, runId });
  try {
    const upStarted = performance.now();
    if (tracing) {
      receiver = new TraceReceiver({ store: new TraceStore({ maxSpans: tracing.maxSpans }), credential, onExport: telemetry ? (request) => telemetry.exportReceived(request) : null });
      await receiver.start();
    }
    topology = await options.runtime.start(realToxiproxy ? { ...plan, wire: false } : plan, {
      onEvent: emit,
      signal: options.signal,
      logsDir: reportDirPlanned ? join(reportDirPlanned, LOGS_DIR) : null,
      credential,
      tracing: receiver ? { endpoint: receiver.tracesUrl, sampleRatio, maxTracesPerSecond: tracing?.maxTracesPerSecond ?? DEFAULT_MAX_TRACES_PER_SECOND } : null,
    });
    topology.onUnexpectedExit((instance, role, code, signal) =>
      emit({ type: 'instance-down', at: Date.now(), instance, reason: `${role} exited (code ${code}, signal ${signal})` }),
    );
    if (!wireEngine && topology.faultEngine) {
      wireEngine = { kind: 'builtin', url: topology.faultEngine.url, external: false, seed: topology.faultEngine.seed, version: 'meshproof', stop: async () => {} };
    }
    if (wireEngine) {
      // Only meshproof's engine checks it; a real Toxiproxy (possibly elsewhere) is not sent it.
      driver = new ToxiproxyDriver({ url: wireEngine.url, credential: wireEngine.kind === 'builtin' ? credential : undefined });
      const engineNote = describeWireEngine(wireEngine);
      // A server that outlives the run may be shared: its proxies carry the run's id.
      wire = new Wire(driver, planLinks(plan), { prefix: wireEngine.external ? `meshproof-${runId}-` : '', engineNote });
      const byInstance = new Map(topology.pods.map((p) => [p.instance, p]));
      await wire.setup((instance) => byInstance.get(instance)!.inbound);
    }
    const linkAddress = wire ? (from: string, to: string) => wire!.addressFor(from, to) : undefined;
    controlPlane = new ControlPlane(plan, topology.pods, topology.ingress, { linkAddress, credential });
    load = new RemoteLoadGenerator({
      url: `http://${topology.ingress.outbound.host}:${topology.ingress.outbound.port}`,
      host: plan.load.target,
      path: plan.load.path,
      phases: plan.load.phases,
      connections: plan.load.connections,
      env: { MESHPROOF_RUN_ID: runId },
      onTick: (second, series) => {
        const b = series[seriesKey.client()]?.[second];
        if (b) emit({ type: 'tick', at: Date.now(), second, rps: b.requests, ok: b.ok, errors: b.requests - b.ok, p99: Histogram.from(b.latency).quantile(0.99) });
      },
    });
    await load.prepare();
    // Second 0 comes after the config push and a warm-up: cold connections and cold JIT are not measured.
    const warmupMs = options.warmupMs ?? 1000;
    t0 = Date.now() + (options.settleMs ?? 200) + warmupMs;
    controlPlane.setT0(t0);
    await controlPlane.push();
    emit({ type: 'topology-ready', at: Date.now(), instances: topology.pods.length, ms: Math.round(performance.now() - upStarted) });
    if (options.signal?.aborted) throw new MeshproofError('MESHPROOF_INTERRUPTED', 'interrupted before the load started');

    collector = new Collector([topology.ingress, ...topology.pods], {
      onEvent: (event) => emit({ type: 'sidecar-event', at: Date.now(), event }),
      t0,
      onSecond: options.liveStats ? (second, series) => emit({ type: 'live-stats', at: Date.now(), second, series: liveFigures(series, second) }) : undefined,
    });
    collector.start();
    faults = new FaultRunner({ scenario, t0, controlPlane, topology, emit, wire });
    faults.start();
    const loading = load.run(t0, { warmup: warmupMs > 0 });
    await new Promise((r) => setTimeout(r, Math.max(0, t0 - Date.now())));
    const maxRate = Math.max(...plan.load.phases.map((p) => p.rate));
    emit({ type: 'load-started', at: Date.now(), t0, rate: maxRate, connections: plan.load.connections, durationMs: plan.load.durationMs });
    const measured = await loading;
    loadSummary = measured.summary;
    clientSeries = measured.series;
    // A load cut short by the abort also returns here: it finished only if nothing had stopped it.
    // Decided before the event goes out: an abort in answer to it comes after the load's end.
    loadFinished = !options.signal?.aborted;
    emit({ type: 'load-finished', at: Date.now(), requests: loadSummary.requests, errors: loadSummary.errors });
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  } finally {
    telemetry?.phase('teardown');
    options.signal?.removeEventListener('abort', onAbort);
    load?.dispose();
    await faults?.stop().catch(() => {});
    // A real toxiproxy-server is left as it was found: faults cleared (/reset as the fallback), proxies deleted.
    if (wire && wireEngine?.kind === 'toxiproxy') {
      const torn = await wire.teardown();
      if (torn.problems.length > 0) emit({ type: 'fault-ended', at: Date.now(), fault: '(teardown)', detail: `toxiproxy teardown${torn.fellBackToReset ? ' fell back to /reset' : ''}: ${torn.problems.join('; ')}` });
    }
    driver?.close();
    await wireEngine?.stop().catch(() => {});
    if (collector) {
      await collector.stop().catch(() => {});
      sidecarSeries = await collector.timelines().catch(() => []);
    }
    if (topology) {
      if (receiver) sidecarSpans = await sidecarTracingStats([topology.ingress, ...topology.pods]).catch(() => ({}));
      // Sidecars export what they still hold as they stop, so the receiver closes after them.
      const stopped = await topology.stop().catch(() => 0);
      emit({ type: 'teardown', at: Date.now(), stopped });
    }
    await receiver?.close().catch(() => {});
  }

  const interrupted = options.signal?.aborted ?? false;
  if (interrupted && !error && !loadFinished) error = 'interrupted: the run was stopped before the end of its load';
  const seconds = Math.max(1, Math.ceil(plan.load.durationMs / 1000));
  const timeline = buildTimeline(t0, seconds, [clientSeries, ...sidecarSeries]);
  const facts: RunFacts = { t0, faults: faults?.faults() ?? [], events: collector?.allEvents() ?? [], states: faults?.states() ?? [] };
  if (receiver) {
    const store = receiver.store;
    const sidecarDropped = Object.values(sidecarSpans).reduce((a, s) => a + s.spans_dropped, 0);
    facts.traces = { attempts: (...a) => store.attempts(...a), dropped: store.dropped, sidecarDropped };
  }
  telemetry?.phase('verdicts');
  const verdicts = evaluateExpectations(scenario, timeline, facts);
  for (const v of verdicts) emit({ type: 'expectation-settled', at: Date.now(), verdict: v });
  const passed = error === null && verdicts.every((v) => v.status === 'held');
  // The run's spans end here and the export is flushed, so the reports can say what was sent.
  await telemetry?.finish({ passed, error }, options.signal);
  const result: RunResult = {
    format: 2,
    meshproofVersion: version,
    runId,
    scenario,
    runtime: options.runtime.name,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    passed,
    error,
    verdicts,
    timeline,
    events: facts.events,
    faults: facts.faults,
    states: facts.states,
    endpointRemovalDelayMs: faults?.endpointRemovalDelayMs ?? DEFAULT_ENDPOINT_REMOVAL_DELAY_MS,
    load: {
      requests: loadSummary.requests,
      errors: loadSummary.errors,
      status: loadSummary.status,
      errorKinds: loadSummary.errorKinds,
      targetRate: plan.load.phases.reduce((a, p) => a + p.rate * p.durationMs, 0) / Math.max(1, plan.load.durationMs),
      achievedRate: loadSummary.elapsedMs > 0 ? (loadSummary.requests * 1000) / loadSummary.elapsedMs : 0,
    },
    instances: topology ? [topology.ingress, ...topology.pods].map((p) => ({
      instance: p.instance,
      service: p.service,
      ports: { inbound: p.inbound.port, outbound: p.outbound.port, admin: Number(new URL(p.adminUrl).port), ...(p.appPort ? { app: p.appPort } : {}) },
      ...(p.logFile && reportDirPlanned ? { log: `${LOGS_DIR}/${basename(p.logFile)}` } : {}),
    })) : logsOf(plan.pods, reportDirPlanned),
    configPushMs: controlPlane?.lastPushMs ?? null,
    ...(receiver ? { traces: summariseTraces(receiver.store, receiver.stats(), sidecarSpans, telemetry?.stats() ?? null, { fromMs: t0, toMs: t0 + plan.load.durationMs }) } : {}),
  };
  let reportDir: string | null = null;
  if (reportDirPlanned) {
    reportDir = reportDirPlanned;
    await writeReports(result, reportDir);
    if (receiver && result.traces) await writeTraces(reportDir, runId, result.traces, receiver.store.spans());
  }
  emit({ type: 'run-finished', at: Date.now(), passed, reportDir });
  return { result, reportDir, interrupted, loadFinished };
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

function liveFigures(series: SparseSeries, second: number): Record<string, LiveFigures> {
  const out: Record<string, LiveFigures> = {};
  for (const [key, secs] of Object.entries(series)) {
    const b = secs[second];
    if (!b) continue;
    out[key] = {
      rps: b.requests,
      errorRate: b.requests === 0 ? 0 : (b.requests - b.ok) / b.requests,
      p99: Histogram.from(b.latency).quantile(0.99),
      retries: b.retries,
      flags: b.flags,
    };
  }
  return out;
}
