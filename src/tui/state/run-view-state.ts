import { describeMeshEvent, httpFaultText, type Describer } from '../../contract/describe-mesh-event.ts';
import { clusterOf, endpointOf, SETUP_EVENT_TYPES, type MeshEvent, type MeshEventType } from '../../contract/mesh-event.ts';
import { upstreamChange } from '../../contract/upstream-change.ts';
import type { LiveFigures, RunEvent } from '../../events.ts';
import { seriesKey } from '../../contract/series.ts';
import { loadShortfalls, type LoadHonesty } from '../../load/load-honesty.ts';
import { loadLine } from '../../report/load-honesty-text.ts';
import { instanceNames, type AnyExpectation, type Fault, type FaultAction, type Scenario } from '../../scenario/scenario.ts';
import { topologyEdges, topologyNodes } from '../../scenario/mesh-topology.ts';
import { formatDuration } from '../../util/format.ts';
import type { Verdict } from '../../verdict/verdict.ts';
import { callersOf, scopeLabel } from '../../verdict/scope.ts';
import { healthLines, healthRows, type HealthRow } from '../../contract/describe-run-health.ts';

/**
The live view's model of a run: everything the screen shows, built only from the scenario (up front)
and the engine's `RunEvent`s, by a pure reducer. Nothing here reads a clock or does I/O: the view
feeds `withNow` for the progress bar between events.

Times are kept as epoch ms, as the events carry them, and turned into run time (ms from the start
of the load) when shown, because the start of the load is only known once `load-started` arrives.
*/
export interface RunViewState {
  readonly scenario: ScenarioView;
  readonly phase: RunPhase;
  readonly runId: string | null;
  /** Epoch ms of `run-starting`. */
  readonly startedAt: number | null;
  /** Epoch ms of second 0 of the load (from `load-started`). */
  readonly t0: number | null;
  /** Latest time known: the latest event's, or the clock's (see `withNow`). */
  readonly now: number | null;
  readonly services: readonly ServiceView[];
  readonly instances: Readonly<Record<string, InstanceView>>;
  readonly edges: readonly EdgeView[];
  /** Per series key (observe/timeline.ts), the figures of each second of the load, indexed by second. */
  readonly series: Readonly<Record<string, readonly (LiveFigures | undefined)[]>>;
  /** Latest second a `live-stats` event covered (-1: none yet): series absent from it had no traffic. */
  readonly liveSecond: number;
  /** Latest second a `tick` covered (-1: none yet). */
  readonly clientSecond: number;
  readonly totals: { readonly requests: number; readonly errors: number };
  /** What the load generator itself said: how it is keeping to the declared load. */
  readonly load: LoadView;
  readonly faults: readonly FaultView[];
  readonly checklist: readonly CheckItem[];
  readonly log: readonly LogLine[];
  /** Set by `run-finished`; `outcome` is inconclusive when nothing failed and something could not be judged (exit 3). */
  readonly result: { readonly passed: boolean; readonly outcome: 'passed' | 'failed' | 'inconclusive'; readonly reportDir: string | null } | null;
  /** Processes stopped at teardown (null: not torn down yet). */
  readonly stopped: number | null;
  /** The harness's promises as the run kept them, in words (from `harness-health`, once the load is over); null before. */
  readonly health: readonly HealthRow[] | null;
}

/** starting: processes coming up · ready: topology up, load not started · load · deciding: load over, verdicts coming · done. */
export type RunPhase = 'starting' | 'ready' | 'load' | 'deciding' | 'done';

export interface ScenarioView {
  readonly name: string;
  readonly description: string;
  /** How long the load lasts (the progress bar's 100%). */
  readonly loadDurationMs: number;
  /** The highest declared rate; null for a closed-loop load. */
  readonly targetRate: number | null;
  /** Most requests in flight (the open loop's cap, the closed loop's connections). */
  readonly connections: number;
  readonly loadTarget: string;
  readonly source: Scenario;
}

export interface ServiceView {
  readonly name: string;
  readonly instances: readonly string[];
  readonly calls: readonly string[];
  /** Who calls it: services (and gateways), and `client` for the load's target. */
  readonly callers: readonly string[];
  /** A gateway (ingress or egress) or an external service; absent for a service of the mesh. */
  readonly kind?: 'ingress' | 'egress' | 'external';
  /**
  The series its figures are read from, when not its instances' inbound: an external service has no
  sidecar, so it is seen through the tries its callers sent to its instances.
  */
  readonly figureKeys?: readonly string[];
}

/** What the screen says about an instance: healthy, or why not. */
export type InstanceStatus = 'starting' | 'healthy' | 'ejected' | 'unhealthy' | 'paused' | 'killed' | 'down';

/** The harness's view of the process, from instance-up / instance-state / instance-down. */
export type ProcessStatus = 'starting' | 'healthy' | 'unhealthy' | 'paused' | 'killed' | 'down';

export interface InstanceView {
  readonly name: string;
  readonly service: string;
  readonly process: ProcessStatus;
  readonly processReason: string;
  /** Callers (sidecar instance names, or `mesh` when the engine reports it) that have it ejected now, with the words that say why. */
  readonly ejectedBy: Readonly<Record<string, string>>;
  /** Callers whose health checks call it unhealthy now, with why. */
  readonly unhealthyBy: Readonly<Record<string, string>>;
  /** Derived from the above: process trouble first, then ejection, then health checks. */
  readonly status: InstanceStatus;
  readonly reason: string;
  /** Epoch ms of the last change of `status` (null: never changed). */
  readonly since: number | null;
  /** Every change of `status`, oldest first. */
  readonly history: readonly { readonly at: number; readonly status: InstanceStatus; readonly reason: string }[];
}

/** The load generator's own account, from `tick` and `load-finished`. */
export interface LoadView {
  /** Requests sent and intended ones dropped so far. */
  readonly sent: number;
  readonly dropped: number;
  /** The latest second the load reported: sent, dropped, worst lateness (ms). */
  readonly last: { readonly second: number; readonly sent: number; readonly dropped: number; readonly latenessMaxMs: number } | null;
  /** Worst lateness of any second so far, ms. */
  readonly latenessMaxMs: number;
  /** How faithfully the whole load was delivered (set by `load-finished`). */
  readonly honesty: LoadHonesty | null;
}

export interface EdgeView {
  readonly from: string;
  readonly to: string;
  /** `edge:<from>-><to>`: what the caller saw, after retries. */
  readonly key: string;
  /** `upstream:<from>-><instance>` for each instance of `to`: the tries actually sent. */
  readonly upstreamKeys: readonly string[];
}

export interface FaultView {
  readonly name: string;
  readonly atMs: number;
  /** null: until the end of the run. */
  readonly forMs: number | null;
  /** "payments-1", "checkout -> payments-2", "payments". */
  readonly target: string;
  /** "abort 503 (100%)", "kill, restart after 4s", "latency 300". */
  readonly action: string;
  readonly status: 'scheduled' | 'active' | 'ended';
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  /** What applying (and ending) it did, as the engine said. */
  readonly detail: string;
}

export interface CheckItem {
  readonly expectation: AnyExpectation;
  /** Set once the engine decided it. */
  readonly verdict: Verdict | null;
}

export type Tone = 'info' | 'ok' | 'warn' | 'bad' | 'fault' | 'dim';

export interface LogLine {
  /** Epoch ms. */
  readonly at: number;
  readonly text: string;
  readonly tone: Tone;
  /** Instances and services the line is about (for the details pane). */
  readonly subjects: readonly string[];
  /** The sidecar that reported it, when a sidecar did. */
  readonly by: string | null;
  /** Times the same line came within a short while (several callers ejecting the same instance). */
  readonly count: number;
  /** What makes two lines the same: a mesh event's type and facts (whoever reported it), or else the text. */
  readonly key: string;
}

/** Lines kept in the log (the screen shows the newest that fit). */
export const LOG_CAPACITY = 500;

/** The same line again within this long is counted on the earlier one instead of printed twice. */
const MERGE_WITHIN_MS = 2000;

/** The rows of the topology, in the order traffic meets them (scenario/mesh-topology.ts). */
function topologyViews(scenario: Scenario): ServiceView[] {
  return topologyNodes(scenario).map((n) => {
    const instances = instanceNames(n);
    const callers = callersOf(n.name, scenario);
    return {
      name: n.name,
      instances,
      calls: [...n.calls],
      callers,
      ...(n.kind !== 'service' ? { kind: n.kind } : {}),
      // An external has no sidecar: it is seen through the tries its callers sent to its instances.
      ...(n.kind === 'external' ? { figureKeys: callers.flatMap((c) => instances.map((i) => seriesKey.upstream(c, i))) } : {}),
    };
  });
}

/** The state before any event: the topology, the fault schedule and the checklist, all pending. */
export function initialState(scenario: Scenario): RunViewState {
  const services = topologyViews(scenario);
  const instances: Record<string, InstanceView> = {};
  for (const s of services) {
    for (const name of s.instances) {
      instances[name] = { name, service: s.name, process: 'starting', processReason: '', ejectedBy: {}, unhealthyBy: {}, status: 'starting', reason: '', since: null, history: [] };
    }
  }
  const byName = new Map(services.map((s) => [s.name, s]));
  const edge = (from: string, to: string): EdgeView => ({
    from,
    to,
    key: seriesKey.edge(from, to),
    upstreamKeys: (byName.get(to)?.instances ?? []).map((i) => seriesKey.upstream(from, i)),
  });
  const edges: EdgeView[] = topologyEdges(scenario).map((e) => edge(e.from, e.to));
  const phases = scenario.load.phases ?? [];
  return {
    scenario: {
      name: scenario.name,
      description: scenario.description,
      loadDurationMs: scenario.load.durationMs || scenario.durationMs,
      targetRate: phases.length ? Math.max(...phases.map((p) => p.rate)) : scenario.load.rate,
      connections: scenario.load.connections,
      loadTarget: scenario.load.target,
      source: scenario,
    },
    phase: 'starting',
    runId: null,
    startedAt: null,
    t0: null,
    now: null,
    services,
    instances,
    edges,
    series: {},
    liveSecond: -1,
    clientSecond: -1,
    totals: { requests: 0, errors: 0 },
    load: { sent: 0, dropped: 0, last: null, latenessMaxMs: 0, honesty: null },
    faults: (scenario.faults ?? []).map(faultView),
    checklist: (scenario.expect as readonly AnyExpectation[]).map((expectation) => ({ expectation, verdict: null })),
    log: [],
    result: null,
    stopped: null,
    health: null,
  };
}

/**
The reducer that puts mesh events in words with `describe` (the log, an instance's reason); nothing
in the state is decided by those words.
*/
export function reducer(describe: Describer): (state: RunViewState, event: RunEvent) => RunViewState {
  return (state, event) => reduceWith(state, event, describe);
}

/** The state after one event. Pure: the same state and event always give the same result. */
export const reduce = reducer(describeMeshEvent);

function reduceWith(state: RunViewState, event: RunEvent, describe: Describer): RunViewState {
  const s = { ...state, now: Math.max(state.now ?? event.at, event.at) };
  switch (event.type) {
    case 'run-starting':
      return addLog({ ...s, runId: event.runId, startedAt: event.at, phase: 'starting' }, event.at, `run ${event.runId} starting: ${event.scenario}`, 'info');
    case 'instance-up': {
      const inst = s.instances[event.instance];
      if (!inst) return s;
      return setInstance(s, event.at, { ...inst, process: 'healthy', processReason: 'up' });
    }
    case 'instance-down': {
      const inst = s.instances[event.instance];
      const next = inst ? setInstance(s, event.at, { ...inst, process: 'down', processReason: event.reason }) : s;
      return addLog(next, event.at, `${event.instance} down: ${event.reason}`, 'bad', [event.instance]);
    }
    case 'topology-ready':
      return addLog({ ...s, phase: 'ready' }, event.at, `topology ready: ${event.instances} instances with sidecars in ${event.ms}ms`, 'info');
    case 'load-started':
      return addLog(
        { ...s, phase: 'load', t0: event.t0, scenario: { ...s.scenario, loadDurationMs: event.durationMs, targetRate: event.rate, connections: event.connections } },
        event.at,
        event.rate === null
          ? `load started: closed loop to ${s.scenario.loadTarget}, ${event.connections} requests in flight, for ${formatDuration(event.durationMs)}`
          : `load started: ${event.rate}/s${event.arrivals === 'poisson' ? ' (Poisson arrivals)' : ''} to ${s.scenario.loadTarget}, at most ${event.connections} in flight, for ${formatDuration(event.durationMs)}`,
        'info',
      );
    case 'tick': {
      const figures: LiveFigures = { rps: event.rps, errorRate: event.rps > 0 ? event.errors / event.rps : 0, p99: event.p99, retries: 0, flags: {} };
      return {
        ...s,
        series: { ...s.series, [seriesKey.client()]: putSecond(s.series[seriesKey.client()], event.second, figures) },
        clientSecond: Math.max(s.clientSecond, event.second),
        totals: { requests: s.totals.requests + event.rps, errors: s.totals.errors + event.errors },
        load: {
          ...s.load,
          sent: s.load.sent + event.sent,
          dropped: s.load.dropped + event.dropped,
          last: { second: event.second, sent: event.sent, dropped: event.dropped, latenessMaxMs: event.latenessMaxMs },
          latenessMaxMs: Math.max(s.load.latenessMaxMs, event.latenessMaxMs),
        },
      };
    }
    case 'live-stats': {
      const series = { ...s.series };
      for (const [key, f] of Object.entries(event.series)) {
        // The client's figures come from ticks (the load generator's own view); keep those.
        if (key === seriesKey.client() && series[key]?.[event.second]) continue;
        series[key] = putSecond(series[key], event.second, f);
      }
      return { ...s, series, liveSecond: Math.max(s.liveSecond, event.second) };
    }
    case 'load-finished': {
      const h = event.honesty;
      const finished = addLog(
        {
          ...s,
          phase: 'deciding',
          totals: { requests: event.requests, errors: event.errors },
          load: { ...s.load, sent: h.sent, dropped: h.dropped.total, latenessMaxMs: h.lateness?.max ?? s.load.latenessMaxMs, honesty: h },
        },
        event.at,
        `load finished: ${event.requests} requests, ${event.errors} failed`,
        event.errors > 0 ? 'warn' : 'info',
      );
      const short = loadShortfalls(h);
      return addLog(finished, event.at, `load delivered: ${loadLine(h)}${short.length ? ` — short of the declared load: ${short.join('; ')}` : ''}`, short.length ? 'warn' : 'info');
    }
    case 'sidecar-event':
      // When the sidecar saw it, on the run's clock: it reaches the harness up to a poll (or a busy machine's delay) later.
      return onMeshEvent(s, event.event.at, event.event, describe);
    case 'harness-health': {
      const rows = healthRows(event.health, event.breaches);
      let next: RunViewState = { ...s, health: rows };
      for (const line of healthLines(rows)) next = addLog(next, event.at, line.text, line.broken ? 'warn' : 'dim');
      return next;
    }
    case 'fault-started': {
      const next = updateFault(s, event.fault, (f) => ({ ...f, status: 'active', startedAt: event.at, detail: event.detail }));
      const f = next.faults.find((x) => x.name === event.fault);
      return addLog(next, event.at, `fault ${event.fault} started: ${event.detail}`, 'fault', f ? subjectsOfTarget(f.target) : []);
    }
    case 'fault-ended': {
      const next = updateFault(s, event.fault, (f) => ({ ...f, status: 'ended', endedAt: event.at, detail: f.detail ? `${f.detail}; ${event.detail}` : event.detail }));
      const f = next.faults.find((x) => x.name === event.fault);
      return addLog(next, event.at, `fault ${event.fault} ended: ${event.detail}`, event.fault === '(error)' ? 'bad' : 'fault', f ? subjectsOfTarget(f.target) : []);
    }
    case 'instance-state': {
      const inst = s.instances[event.instance];
      if (!inst) return s;
      let next: InstanceView;
      if (event.state === 'ejected') next = { ...inst, ejectedBy: { ...inst.ejectedBy, mesh: event.reason } };
      else if (event.state === 'healthy') next = { ...inst, process: 'healthy', processReason: event.reason, ejectedBy: without(inst.ejectedBy, 'mesh'), unhealthyBy: without(inst.unhealthyBy, 'mesh') };
      else if (event.state === 'unhealthy') next = { ...inst, unhealthyBy: { ...inst.unhealthyBy, mesh: event.reason } };
      else next = { ...inst, process: event.state, processReason: event.reason };
      const tone: Tone = event.state === 'healthy' ? 'ok' : event.state === 'killed' ? 'bad' : 'warn';
      return addLog(setInstance(s, event.at, next), event.at, `${event.instance} ${event.state}: ${event.reason}`, tone, [event.instance, inst.service]);
    }
    case 'expectation-settled': {
      const v = event.verdict;
      let done = false;
      const checklist = s.checklist.map((c) => {
        if (done || c.verdict || c.expectation.text !== v.expectation.text) return c;
        done = true;
        return { ...c, verdict: v };
      });
      // A verdict on an expectation the scenario given up front did not have (should not happen): still shown.
      return { ...s, checklist: done ? checklist : [...checklist, { expectation: v.expectation, verdict: v }] };
    }
    case 'teardown':
      return addLog({ ...s, stopped: event.stopped }, event.at, `teardown: ${event.stopped} processes stopped`, 'dim');
    case 'run-finished': {
      const held = s.checklist.filter((c) => c.verdict?.status === 'held').length;
      const inconclusive = s.checklist.filter((c) => c.verdict?.status === 'inconclusive').length;
      const broken = s.checklist.filter((c) => c.verdict && c.verdict.status !== 'held' && c.verdict.status !== 'inconclusive').length;
      const where = event.reportDir ? `; report in ${event.reportDir}` : '';
      const word = event.passed ? 'passed' : broken === 0 && inconclusive > 0 ? 'inconclusive' : 'failed';
      return addLog(
        { ...s, phase: 'done', result: { passed: event.passed, outcome: word, reportDir: event.reportDir } },
        event.at,
        `run ${word}: ${held} held, ${broken} broken${inconclusive ? `, ${inconclusive} inconclusive` : ''}${where}`,
        event.passed ? 'ok' : word === 'inconclusive' ? 'warn' : 'bad',
      );
    }
  }
  return s;
}

/** The state at a later moment without any event (the view's clock), so progress moves between ticks. */
export function withNow(state: RunViewState, now: number): RunViewState {
  if (state.now !== null && now <= state.now) return state;
  return { ...state, now };
}

/** Run time of an epoch time: ms from the start of the load (or from the run's start before the load is known). */
export function runMs(state: RunViewState, at: number): number {
  const base = state.t0 ?? state.startedAt ?? at;
  return at - base;
}

/** How far the load is: elapsed ms (clamped to the load's duration) and the fraction done. */
export function progress(state: RunViewState): { elapsedMs: number; durationMs: number; fraction: number } {
  const durationMs = state.scenario.loadDurationMs;
  if (state.t0 === null || state.now === null) return { elapsedMs: 0, durationMs, fraction: 0 };
  const done = state.phase === 'deciding' || state.phase === 'done';
  const elapsedMs = done ? durationMs : Math.max(0, Math.min(durationMs, state.now - state.t0));
  return { elapsedMs, durationMs, fraction: durationMs > 0 ? elapsedMs / durationMs : 1 };
}

// ---------------------------------------------------------------------------------------------

/** How each mesh event reads in the log: trouble (warn), a return to normal (ok), a fault, or news (info). */
const MESH_TONE: Readonly<Record<MeshEventType, Tone>> = {
  'config-applied': 'info',
  'cluster-added': 'info',
  'cluster-removed': 'info',
  'endpoint-added': 'info',
  'endpoint-removed': 'info',
  'endpoint-address-changed': 'info',
  'endpoint-health-changed': 'info',
  'policy-changed': 'info',
  'fault-applied': 'fault',
  'fault-cleared': 'fault',
  ejected: 'warn',
  unejected: 'ok',
  'ejection-skipped': 'warn',
  'health-check-failed': 'warn',
  'health-check-passed': 'ok',
  panic: 'warn',
  'panic-ended': 'ok',
  'retry-budget-overflow': 'warn',
  'retry-overflow': 'warn',
  'circuit-breaker-overflow': 'warn',
  'bulkhead-overflow': 'warn',
  'rate-limited': 'warn',
  'certificate-issued': 'info',
  'certificate-rotated': 'info',
  'trust-bundle-changed': 'info',
  'mtls-mode-changed': 'info',
  'handshake-failed': 'warn',
  'authorization-denied': 'warn',
  'quota-limited': 'warn',
  'rate-limit-service-error': 'warn',
};

function onMeshEvent(s: RunViewState, at: number, e: MeshEvent, describe: Describer): RunViewState {
  if (SETUP_EVENT_TYPES.has(e.type)) return s;
  const isInstance = { has: (name: string) => Object.hasOwn(s.instances, name) };
  const change = upstreamChange(e, isInstance);
  const text = describe(e);
  let next = s;
  const subjects = [e.instance];
  const endpoint = endpointOf(e);
  if (endpoint !== null && isInstance.has(endpoint)) subjects.push(endpoint, s.instances[endpoint].service);
  const cluster = clusterOf(e);
  if (cluster !== null && s.services.some((x) => x.name === cluster)) subjects.push(cluster);
  if (change) {
    const inst = s.instances[change.instance];
    switch (change.kind) {
      case 'ejected':
        next = setInstance(s, at, { ...inst, ejectedBy: { ...inst.ejectedBy, [change.by]: text } });
        break;
      case 'returned':
        next = setInstance(s, at, { ...inst, ejectedBy: without(inst.ejectedBy, change.by) });
        break;
      case 'unhealthy':
        next = setInstance(s, at, { ...inst, unhealthyBy: { ...inst.unhealthyBy, [change.by]: text } });
        break;
      case 'healthy':
        next = setInstance(s, at, { ...inst, unhealthyBy: without(inst.unhealthyBy, change.by) });
        break;
    }
  }
  // Several callers reporting the same thing (each ejecting payments-1) is one line with a count.
  return addLog(next, at, text, MESH_TONE[e.type], subjects, e.instance, `${e.type}\u0000${JSON.stringify(e.data)}`);
}

function deriveStatus(i: InstanceView): { status: InstanceStatus; reason: string } {
  if (i.process !== 'healthy' && i.process !== 'unhealthy') return { status: i.process, reason: i.processReason };
  const ejectors = Object.keys(i.ejectedBy);
  if (ejectors.length > 0) return { status: 'ejected', reason: i.ejectedBy[ejectors[ejectors.length - 1]] };
  const checkers = Object.keys(i.unhealthyBy);
  if (checkers.length > 0) return { status: 'unhealthy', reason: i.unhealthyBy[checkers[checkers.length - 1]] };
  if (i.process === 'unhealthy') return { status: 'unhealthy', reason: i.processReason };
  return { status: 'healthy', reason: i.processReason };
}

function setInstance(s: RunViewState, at: number, next: InstanceView): RunViewState {
  const { status, reason } = deriveStatus(next);
  const prev = s.instances[next.name];
  let inst: InstanceView = { ...next, status, reason };
  if (!prev || prev.status !== status) {
    inst = { ...inst, since: at, history: [...next.history, { at, status, reason }] };
  }
  return { ...s, instances: { ...s.instances, [next.name]: inst } };
}

/**
A line at the time it happened: the log is in event time, so a sidecar's event that arrives after
later ones (polled once a second) goes in before them. The same line again within a short while is
counted on the earlier one.
*/
function addLog(s: RunViewState, at: number, text: string, tone: Tone, subjects: readonly string[] = [], by: string | null = null, key = text): RunViewState {
  let i = s.log.length;
  while (i > 0 && s.log[i - 1].at > at) i--;
  const before = s.log[i - 1];
  if (before && before.key === key && at - before.at <= MERGE_WITHIN_MS) {
    const log = s.log.slice();
    log[i - 1] = { ...before, count: before.count + 1 };
    return { ...s, log };
  }
  const line: LogLine = { at, text, tone, subjects: [...new Set(subjects)], by, count: 1, key };
  const log = [...s.log.slice(0, i), line, ...s.log.slice(i)];
  return { ...s, log: log.length > LOG_CAPACITY ? log.slice(log.length - LOG_CAPACITY) : log };
}

function updateFault(s: RunViewState, name: string, fn: (f: FaultView) => FaultView): RunViewState {
  return { ...s, faults: s.faults.map((f) => (f.name === name ? fn(f) : f)) };
}

function putSecond<T>(arr: readonly (T | undefined)[] | undefined, second: number, value: T): (T | undefined)[] {
  const out = arr ? arr.slice() : [];
  if (second < 0) return out;
  out[second] = value;
  return out;
}

function without<T>(rec: Readonly<Record<string, T>>, key: string): Record<string, T> {
  if (!(key in rec)) return rec as Record<string, T>;
  const { [key]: _, ...rest } = rec;
  return rest;
}

function faultView(f: Fault): FaultView {
  return {
    name: f.name,
    atMs: f.atMs,
    forMs: f.forMs,
    target: scopeLabel(f.target),
    action: actionText(f.action),
    status: 'scheduled',
    startedAt: null,
    endedAt: null,
    detail: '',
  };
}

function subjectsOfTarget(target: string): string[] {
  return target.split(/\s*->\s*/);
}

export function actionText(a: FaultAction): string {
  switch (a.kind) {
    case 'http':
      return httpFaultText(a.fault);
    case 'process':
      return a.action === 'kill' && a.restartAfterMs !== null ? `kill, restart after ${formatDuration(a.restartAfterMs)}` : a.action;
    case 'toxic': {
      const attrs = Object.entries(a.toxic.attributes).map(([k, v]) => (k === a.toxic.type ? String(v) : `${k}=${v}`));
      return [a.toxic.type, ...attrs].join(' ');
    }
    case 'partition':
      return `partition ${a.groups[0].join(',')} | ${a.groups[1].join(',')}`;
    case 'security':
      return `mTLS ${a.mtls}`;
    case 'cert-expire':
      return 'cert expired';
    case 'root-rotation':
      return `root rotation${a.overlap ? '' : ' (no overlap)'}`;
    case 'clock-skew':
      return `clock ${a.offsetMs > 0 ? '+' : '-'}${formatDuration(Math.abs(a.offsetMs))}`;
  }
}

