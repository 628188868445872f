import type { FaultRecord } from '../contract/fault-record.ts';
import { rateLimited } from '../verdict/measure.ts';
import { RATE_LIMIT_SERVICE_INSTANCE } from '../contract/rate-limit-service.ts';
import type { MeshEvent } from '../contract/mesh-event.ts';
import type { RunningExternal, RunningPod } from '../contract/running-pod.ts';
import { seriesKey, type SparseSeries } from '../contract/series.ts';
import type { TracingStats } from '../contract/span-sink.ts';
import type { CpuBusy, LoopDelay } from '../contract/run-health.ts';
import type { StateChange } from '../contract/state-change.ts';
import { describeWireEngine, type WireEngine } from '../chaos/engine/wire-engine.ts';
import { planLinks } from '../chaos/links/link-plan.ts';
import { Wire } from '../chaos/links/wire.ts';
import { DEFAULT_ENDPOINT_REMOVAL_DELAY_MS } from '../chaos/schedule/endpoint-removal.ts';
import { FaultRunner } from '../chaos/schedule/fault-runner.ts';
import { ToxiproxyDriver } from '../chaos/toxiproxy-driver.ts';
import { MeshproofError } from '../errors.ts';
import type { LiveFigures, RunEvent } from '../events.ts';
import type { LoadSummary } from '../load/load-summary.ts';
import { RemoteLoadGenerator } from '../load/remote-load-generator.ts';
import { Collector } from '../observe/collector.ts';
import { Histogram } from '../contract/histogram.ts';
import { CpuSampler } from '../observe/cpu-sampler.ts';
import type { Plan } from '../plan/plan-scenario.ts';
import type { Runtime, StartedTopology } from '../runtime/runtime.ts';
import { ControlPlane } from '../sim/control-plane/control-plane.ts';
import { TraceReceiver } from '../trace/receiver.ts';
import { sidecarTracingStats } from '../trace/sidecar-tracing-stats.ts';
import { TraceStore } from '../trace/trace-store.ts';
import { LoopDelayMonitor } from '../util/loop-delay-monitor.ts';
import { ResourceStack } from '../util/resource-stack.ts';
import type { RunTelemetry } from './run-telemetry.ts';

/** What measuring a run needs: the plan, where it runs, and the run's settings (see RunOptions). */
export interface RunSetup {
  plan: Plan;
  /** The run's credential (docs/security-model.md): the control plane, the fault driver, the receiver and the sidecars' span exports carry it. */
  credential: string;
  runtime: Runtime;
  emit: (e: RunEvent) => void;
  signal?: AbortSignal;
  telemetry: RunTelemetry | null;
  /** A real toxiproxy-server in place of meshproof's engine, already reached or started; released with the rest. */
  realEngine: WireEngine | null;
  /** The sidecars' tracing and the harness's receiver; null traces nothing. */
  tracing: { sampleRatio: number; maxTracesPerSecond: number; maxSpans?: number } | null;
  /** Where users' programs write their output (the report's logs folder), or null. */
  logsDir: string | null;
  settleMs: number;
  warmupMs: number;
  liveStats: boolean;
}

/** What a run measured, whatever became of it: what the verdicts and the reports are made of. */
export interface Measured {
  /** Epoch ms of second 0 (the start of the load); when the run failed before it was planned, when measuring began. */
  t0: number;
  /** Why the run could not complete, or null. */
  error: string | null;
  /** The load ran to its end, not cut short by the abort. */
  loadFinished: boolean;
  /** What the load client saw; the summary is null when the load never ran. */
  load: { summary: LoadSummary | null; series: SparseSeries };
  /** Every sidecar's per-second series, read at the end. */
  sidecarSeries: SparseSeries[];
  /** Mesh events from every sidecar. */
  events: MeshEvent[];
  faults: FaultRecord[];
  states: StateChange[];
  endpointRemovalDelayMs: number;
  /** The ingress and the pods as they ran (a restarted app's port included), or null when the topology never came up. */
  pods: RunningPod[] | null;
  /** The external services' instances as they ran (no proxy); empty when none or the topology never came up. */
  externals: RunningExternal[];
  /** The last config push's time, ms, or null when none was made. */
  configPushMs: number | null;
  /** Each sidecar's tracing counters, read before it stopped. */
  sidecarSpans: Record<string, TracingStats>;
  /** The harness's trace receiver, which keeps what it received; null when the run traced nothing. */
  receiver: TraceReceiver | null;
  /** The harness's own event-loop delay over the load; null when the load never started. */
  harnessLoop: LoopDelay | null;
  /** Each sidecar's event-loop delay from second 0, read at the end, by instance. */
  sidecarLoops: Record<string, LoopDelay>;
  /** How busy the machine was over the load; null when not measured (the load never started, or no /proc/stat). */
  cpu: CpuBusy | null;
}

/**
Brings the plan's topology up, configures every sidecar, drives the load and collects what every
hop saw. Each step holds what it starts in one ResourceStack, which releases it all in reverse
whatever happens — success, a failure mid-run, an abort: the fault schedule stops, the sidecars'
events and series are read, the load process goes, the links are cleared, the sidecars' tracing
counters are read and the topology stops, then the receiver closes. So a failure still leaves what
was measured. Never throws: a failure is the result's `error`.
*/
export async function measureRun(run: RunSetup): Promise<Measured> {
  const measured = emptyMeasurement();
  const held = new ResourceStack();
  held.use(run.realEngine);
  try {
    const upStarted = performance.now();
    // The load generator's process boots while the topology comes up (it learns its target at the start).
    const load = prepareLoad(held, run);
    // The mesh's CA and the pods' first certificates are made meanwhile too (from the plan).
    const security = ControlPlane.prepareSecurity(run.plan);
    security.catch(() => {});
    const receiver = startReceiver(held, run, measured);
    if (receiver) await receiver.start();
    const topology = await bringUp(held, run, measured);
    const wire = await connectWire(held, run, topology);
    const controlPlane = new ControlPlane(run.plan, topology.pods, topology.ingress, {
      linkAddress: wire ? (from, to) => wire.addressFor(from, to) : undefined,
      credential: run.credential,
      rateLimitService: topology.rateLimitService,
      externals: topology.externals ?? [],
      onPushError: (err) => run.emit({ type: 'fault-ended', at: Date.now(), fault: '(control plane)', detail: `a push of new certificates failed: ${err.message}` }),
    });
    // Renewals and a rotation's batches stop once the fault schedule has (released before this).
    held.defer(() => {
      controlPlane.stop();
      measured.configPushMs = controlPlane.lastPushMs;
    });
    // The control plane is the mesh's CA: every pod has its certificate in the first push.
    await controlPlane.startSecurity(security);
    await load.ready;
    // Second 0 comes after the config push and a warm-up: cold connections and cold JIT are not measured.
    measured.t0 = Date.now() + run.settleMs + run.warmupMs;
    controlPlane.setT0(measured.t0);
    await controlPlane.push();
    run.emit({ type: 'topology-ready', at: Date.now(), instances: topology.pods.length, ms: Math.round(performance.now() - upStarted) });
    if (run.signal?.aborted) throw new MeshproofError('MESHPROOF_INTERRUPTED', 'interrupted before the load started');
    watchSidecars(held, run, topology, measured);
    scheduleFaults(held, run, controlPlane, topology, wire, measured);
    await driveLoad(run, load.generator, loadUrl(run.plan, topology), measured);
  } catch (err) {
    measured.error = err instanceof Error ? err.message : String(err);
  } finally {
    run.telemetry?.phase('teardown');
    // Each release keeps what it could read; one that fails takes nothing from the others.
    await held.disposeAsync().catch(() => {});
  }
  return measured;
}

function emptyMeasurement(): Measured {
  return {
    t0: Date.now(),
    error: null,
    loadFinished: false,
    load: { summary: null, series: {} },
    sidecarSeries: [],
    events: [],
    faults: [],
    states: [],
    endpointRemovalDelayMs: DEFAULT_ENDPOINT_REMOVAL_DELAY_MS,
    pods: null,
    externals: [],
    configPushMs: null,
    sidecarSpans: {},
    receiver: null,
    harnessLoop: null,
    sidecarLoops: {},
    cpu: null,
  };
}

/** The OTLP receiver the sidecars export spans to (closed last: sidecars export what they hold as they stop). */
function startReceiver(held: ResourceStack, run: RunSetup, measured: Measured): TraceReceiver | null {
  if (!run.tracing) return null;
  const telemetry = run.telemetry;
  const receiver = new TraceReceiver({ store: new TraceStore({ maxSpans: run.tracing.maxSpans }), credential: run.credential, onExport: telemetry ? (request) => telemetry.exportReceived(request) : null });
  held.adopt(receiver, (r) => r.close().catch(() => {}));
  measured.receiver = receiver;
  return receiver;
}

/** The runtime starts every pod; its teardown is the run's `teardown` event. */
async function bringUp(held: ResourceStack, run: RunSetup, measured: Measured): Promise<StartedTopology> {
  const receiver = measured.receiver;
  const topology = await run.runtime.start(run.realEngine ? { ...run.plan, wire: false } : run.plan, {
    onEvent: run.emit,
    signal: run.signal,
    logsDir: run.logsDir,
    credential: run.credential,
    tracing: receiver && run.tracing ? { endpoint: receiver.tracesUrl, sampleRatio: run.tracing.sampleRatio, maxTracesPerSecond: run.tracing.maxTracesPerSecond } : null,
  });
  held.adopt(topology, async (t) => run.emit({ type: 'teardown', at: Date.now(), stopped: await t.stop().catch(() => 0) }));
  // Read while the sidecars still answer.
  if (receiver) held.defer(async () => void (measured.sidecarSpans = await sidecarTracingStats([topology.ingress, ...topology.pods]).catch(() => ({}))));
  topology.onUnexpectedExit((instance, role, code, signal) => run.emit({ type: 'instance-down', at: Date.now(), instance, reason: `${role} exited (code ${code}, signal ${signal})` }));
  measured.pods = [topology.ingress, ...topology.pods];
  measured.externals = topology.externals ?? [];
  return topology;
}

/** The links through the fault engine (a proxy per link), when the run has wire faults; null otherwise. */
async function connectWire(held: ResourceStack, run: RunSetup, topology: StartedTopology): Promise<Wire | null> {
  const engine = run.realEngine ?? (topology.faultEngine ? { kind: 'builtin' as const, url: topology.faultEngine.url, external: false, seed: topology.faultEngine.seed, version: 'meshproof' } : null);
  if (!engine) return null;
  // Only meshproof's engine checks it; a real Toxiproxy (possibly elsewhere) is not sent it.
  const driver = held.use(new ToxiproxyDriver({ url: engine.url, credential: engine.kind === 'builtin' ? run.credential : undefined }));
  // A server that outlives the run may be shared: its proxies carry the run's id.
  const wire = new Wire(driver, planLinks(run.plan), { prefix: engine.external ? `meshproof-${run.plan.runId}-` : '', engineNote: describeWireEngine(engine) });
  // A real toxiproxy-server is left as it was found: faults cleared (/reset as the fallback), proxies deleted.
  if (engine.kind === 'toxiproxy') {
    held.adopt(wire, async (w) => {
      const torn = await w.teardown();
      if (torn.problems.length > 0) run.emit({ type: 'fault-ended', at: Date.now(), fault: '(teardown)', detail: `toxiproxy teardown${torn.fellBackToReset ? ' fell back to /reset' : ''}: ${torn.problems.join('; ')}` });
    });
  }
  const byInstance = new Map<string, { host: string; port: number }>([
    ...topology.pods.map((p) => [p.instance, p.inbound] as const),
    ...(topology.externals ?? []).map((e) => [e.instance, e.address] as const),
  ]);
  await wire.setup((instance) => byInstance.get(instance)!);
  return wire;
}

/** Where the load enters: the ingress's listener for its target (whatever Host it sends), else its outbound listener, by Host. */
function loadUrl(plan: Plan, topology: StartedTopology): string {
  const entry = topology.ingress.upstreams?.[plan.load.target] ?? topology.ingress.outbound;
  return `http://${entry.host}:${entry.port}`;
}

/**
The load generator's process, started at once; `ready` settles once it can send (never rejecting
unawaited: a run that fails before awaiting it kills the process with the rest). An abort stops its load.
*/
function prepareLoad(held: ResourceStack, run: RunSetup): { generator: RemoteLoadGenerator; ready: Promise<void> } {
  const plan = run.plan;
  const load = held.use(
    new RemoteLoadGenerator({
      plan: plan.load,
      env: { MESHPROOF_RUN_ID: plan.runId },
      onTick: (second, series, sent) => {
        const b = series[seriesKey.client()]?.[second];
        run.emit({
          type: 'tick',
          at: Date.now(),
          second,
          rps: b?.requests ?? 0,
          ok: b?.ok ?? 0,
          errors: b ? b.requests - b.ok : 0,
          p99: b ? Histogram.from(b.latency).quantile(0.99) : NaN,
          sent: sent.sent,
          dropped: sent.dropped,
          latenessMaxMs: sent.latenessMaxMs,
        });
      },
    }),
  );
  const onAbort = () => load.stop();
  run.signal?.addEventListener('abort', onAbort, { once: true });
  held.defer(() => run.signal?.removeEventListener('abort', onAbort));
  const ready = load.prepare();
  ready.catch(() => {});
  return { generator: load, ready };
}

/** Polls every sidecar's events (and, for a live view, its last second); at the end, reads its series. */
function watchSidecars(held: ResourceStack, run: RunSetup, topology: StartedTopology, measured: Measured): void {
  const rls = topology.rateLimitService;
  const collector = new Collector([topology.ingress, ...topology.pods], {
    // The rate-limit service's quota series are read like a sidecar's; a restart moves its url in place.
    timelineSources: rls ? () => [{ name: RATE_LIMIT_SERVICE_INSTANCE, url: rls.url }] : undefined,
    // At the time the sidecar saw it: polled once a second (later still on a busy machine), it arrives late.
    onEvent: (event) => run.emit({ type: 'sidecar-event', at: event.at, event }),
    t0: measured.t0,
    onSecond: run.liveStats ? (second, series) => run.emit({ type: 'live-stats', at: Date.now(), second, series: liveFigures(series, second) }) : undefined,
  });
  held.adopt(collector, async (c) => {
    await c.stop().catch(() => {});
    measured.sidecarSeries = await c.timelines().catch(() => []);
    measured.sidecarLoops = await c.loopDelays().catch(() => ({}));
    measured.events = c.allEvents();
  });
  collector.start();
}

/** The fault schedule, from second 0; stopped before anything is read, so nothing changes while it is. */
function scheduleFaults(held: ResourceStack, run: RunSetup, controlPlane: ControlPlane, topology: StartedTopology, wire: Wire | null, measured: Measured): void {
  const faults = new FaultRunner({ scenario: run.plan.scenario, t0: measured.t0, controlPlane, topology, emit: run.emit, wire });
  measured.endpointRemovalDelayMs = faults.endpointRemovalDelayMs;
  held.adopt(faults, async (f) => {
    await f.stop().catch(() => {});
    measured.faults = f.faults();
    measured.states = f.states();
  });
  faults.start();
}

/**
Sends the load from second 0 (warming up before it) and keeps what the client saw. Over the load,
the harness watches its own promises: its event-loop delay and how busy the machine is (a timer
every 10 ms and a read of /proc/stat a second; nothing on any request's path).
*/
async function driveLoad(run: RunSetup, load: RemoteLoadGenerator, url: string, measured: Measured): Promise<void> {
  const plan = run.plan;
  const loop = new LoopDelayMonitor().start();
  const cpu = new CpuSampler();
  const loading = load.run(measured.t0, { warmup: run.warmupMs > 0, url });
  await new Promise((r) => setTimeout(r, Math.max(0, measured.t0 - Date.now())));
  loop.reset();
  cpu.start();
  const maxRate = plan.load.model === 'closed' ? null : Math.max(...plan.load.phases.map((p) => p.rate));
  run.emit({ type: 'load-started', at: Date.now(), t0: measured.t0, rate: maxRate, arrivals: plan.load.model === 'closed' ? null : plan.load.arrivals, connections: plan.load.connections, durationMs: plan.load.durationMs });
  let loaded: Awaited<typeof loading>;
  try {
    loaded = await loading;
    measured.load = loaded;
  } finally {
    cpu.stop();
    measured.cpu = cpu.summary();
    measured.harnessLoop = loop.read();
    loop.stop();
  }
  // A load cut short by the abort also returns here: it finished only if nothing had stopped it.
  // Decided before the event goes out: an abort in answer to it comes after the load's end.
  measured.loadFinished = !run.signal?.aborted;
  run.emit({ type: 'load-finished', at: Date.now(), requests: loaded.summary.requests, errors: loaded.summary.errors, honesty: loaded.summary.honesty });
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
      ...(b.mtls ? { mtls: b.mtls } : {}),
      ...(b.denied ? { denied: b.denied } : {}),
      ...(b.handshakeErrors ? { handshakeErrors: b.handshakeErrors } : {}),
      ...(rateLimited(b) ? { limited: rateLimited(b) } : {}),
    };
  }
  return out;
}
