import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { RunEvent } from '../events.ts';

/** The phases of a run, in order; each is a child span of the run's root span. */
export type RunPhase = 'topology start' | 'warm-up' | 'load' | 'teardown' | 'verdicts';

/** What the root span says about the run from the start. */
export interface RunSpanInfo {
  runId: string;
  scenario: string;
  /** The scenario file. */
  file: string;
  seed: number;
  /** `local` or `docker`. */
  runtime: string;
  /** Epoch ms the run began. @default Date.now() */
  startMs?: number;
}

/**
The harness's own spans for one run, so a user sees the run itself in their tracing tool beside
the mesh's request traces: a root span `meshproof run <scenario>`, its phases as child spans
(topology start, warm-up, load, teardown, verdicts), a span per fault from the moment it
was applied to its end, and a span per expectation under `verdicts` (status ERROR when it did not
hold). It only listens to the engine's events (plus `phase` for the steps no event marks), with the
events' own times.
*/
export class RunSpans {
  private readonly tracer: Tracer;
  private readonly root: Span;
  private readonly rootContext: Context;
  private phaseSpan: Span | null = null;
  private phaseName: RunPhase | null = null;
  private readonly faults = new Map<string, Span>();
  private ended = false;

  constructor(tracer: Tracer, info: RunSpanInfo) {
    this.tracer = tracer;
    const at = info.startMs ?? Date.now();
    this.root = tracer.startSpan(
      `meshproof run ${info.scenario}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: at,
        attributes: { 'meshproof.run.id': info.runId, 'meshproof.scenario': info.scenario, 'meshproof.scenario.file': info.file, 'meshproof.seed': info.seed, 'meshproof.runtime': info.runtime },
      },
      ROOT_CONTEXT,
    );
    this.rootContext = trace.setSpan(ROOT_CONTEXT, this.root);
    this.phase('topology start', at);
  }

  /** The trace id of the run's root span (all zeros when the sampler dropped it). */
  get traceId(): string {
    return this.root.spanContext().traceId;
  }

  /** Ends the current phase and starts the next. */
  phase(name: RunPhase, at = Date.now(), attributes: Attributes = {}): void {
    if (this.ended) return;
    this.endPhase(at);
    this.phaseName = name;
    this.phaseSpan = this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: at, attributes }, this.rootContext);
  }

  onEvent(e: RunEvent): void {
    if (this.ended) return;
    switch (e.type) {
      case 'instance-up':
        this.phaseSpan?.addEvent(`instance up ${e.instance}`, { 'meshproof.instance': e.instance, 'meshproof.service': e.service }, e.at);
        break;
      case 'topology-ready':
        this.phaseSpan?.setAttributes({ 'meshproof.instances': e.instances });
        this.phase('warm-up', e.at);
        break;
      case 'load-started':
        // Second 0 is when the load was scheduled to start (the event comes once the timer fired).
        this.phase('load', e.t0, {
          ...(e.rate === null ? { 'meshproof.load.model': 'closed' } : { 'meshproof.load.model': 'open', 'meshproof.load.rate': e.rate, 'meshproof.load.arrivals': e.arrivals ?? 'uniform' }),
          'meshproof.load.connections': e.connections,
          'meshproof.load.duration_ms': e.durationMs,
        });
        break;
      case 'load-finished':
        if (this.phaseName === 'load') {
          this.phaseSpan!.setAttributes({ 'meshproof.load.requests': e.requests, 'meshproof.load.errors': e.errors, 'meshproof.load.sent': e.honesty.sent, 'meshproof.load.dropped': e.honesty.dropped.total });
          this.endPhase(e.at);
        }
        break;
      case 'fault-started': {
        const span = this.tracer.startSpan(`fault ${e.fault}`, { kind: SpanKind.INTERNAL, startTime: e.at, attributes: { 'meshproof.fault': e.fault, 'meshproof.fault.applied': e.detail } }, this.rootContext);
        this.faults.get(e.fault)?.end(e.at);
        this.faults.set(e.fault, span);
        break;
      }
      case 'fault-ended': {
        const span = this.faults.get(e.fault);
        if (span) {
          span.setAttribute('meshproof.fault.ended', e.detail);
          span.end(e.at);
          this.faults.delete(e.fault);
        } else this.root.addEvent(`fault ${e.fault}`, { 'meshproof.fault': e.fault, 'meshproof.fault.detail': e.detail }, e.at);
        break;
      }
      case 'instance-down':
        this.root.addEvent(`instance down ${e.instance}`, { 'meshproof.instance': e.instance, 'meshproof.reason': e.reason }, e.at);
        break;
      case 'instance-state':
        this.root.addEvent(`${e.instance} ${e.state}`, { 'meshproof.instance': e.instance, 'meshproof.state': e.state, 'meshproof.reason': e.reason }, e.at);
        break;
      case 'teardown':
        if (this.phaseName === 'teardown') {
          this.phaseSpan!.setAttributes({ 'meshproof.stopped': e.stopped });
          this.endPhase(e.at);
        }
        break;
      case 'expectation-settled': {
        const v = e.verdict;
        const parent = this.phaseName === 'verdicts' ? trace.setSpan(ROOT_CONTEXT, this.phaseSpan!) : this.rootContext;
        const span = this.tracer.startSpan(
          `expect ${v.expectation.text}`,
          {
            kind: SpanKind.INTERNAL,
            startTime: e.at,
            attributes: {
              'meshproof.expectation': v.expectation.text,
              'meshproof.verdict': v.status,
              ...(Number.isFinite(v.measured) ? { 'meshproof.measured': v.measured } : {}),
              'meshproof.explanation': v.explanation,
            },
          },
          parent,
        );
        if (v.status !== 'held') span.setStatus({ code: SpanStatusCode.ERROR, message: v.explanation });
        span.end(e.at);
        break;
      }
      case 'run-finished':
        this.finish({ passed: e.passed, at: e.at });
        break;
      default:
        break;
    }
  }

  /**
  Ends every span still open, the root last, with the run's outcome: status ERROR with the reason
  when it did not pass. The engine calls it once the verdicts are in (the export is flushed before
  the reports are written, so they can count it); run-finished does it otherwise. Idempotent.
  */
  finish(outcome: { passed: boolean; error?: string | null; at?: number }): void {
    if (this.ended) return;
    const at = outcome.at ?? Date.now();
    this.endPhase(at);
    for (const span of this.faults.values()) span.end(at);
    this.faults.clear();
    this.root.setAttribute('meshproof.passed', outcome.passed);
    if (!outcome.passed) this.root.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error ?? 'an expectation did not hold' });
    this.root.end(at);
    this.ended = true;
  }

  private endPhase(at: number): void {
    this.phaseSpan?.end(at);
    this.phaseSpan = null;
    this.phaseName = null;
  }
}
