import type { LoadFidelity } from './load-fidelity.ts';

/**
Event-loop delay of one process over the load: how long a timer that should fire every `resolution`
ms waited beyond it (perf_hooks.monitorEventLoopDelay, the resolution taken off), ms. A process whose
loop is late by d ms adds up to d ms to everything it handles: a request's latency, a fault's step,
a timeout it enforces.
*/
export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Timer samples the figures come from (0: nothing measured). */
  samples: number;
}

/** How busy the machine's CPUs were over the load, from /proc/stat sampled once a second. */
export interface CpuBusy {
  /** Logical CPUs. */
  cores: number;
  /** Mean share of CPU time not idle (user, nice, system, irq, softirq, steal), 0–1, over the load. */
  busy: number;
  /** The busiest one-second sample. */
  busyMax: number;
  /** Mean share stolen by the hypervisor (time this machine's CPUs wanted and did not get), 0–1. */
  steal: number;
  /** One-second samples taken. */
  samples: number;
}

/**
When one edge (start or end) of a fault was planned and when the harness began to apply it, ms from
the start of the load. The verdicts place fault windows on `beganMs` (when the fault took effect);
`lateMs` is how far that strayed from the plan.
*/
export interface FaultTiming {
  fault: string;
  edge: 'start' | 'end';
  plannedMs: number;
  beganMs: number;
  /** When applying it had finished (the push acknowledged, the signal sent, the toxic posted), ms. */
  appliedMs: number | null;
  lateMs: number;
}

/**
The harness's own promises, checked during a run: did faults take effect on time, did the harness's
and the sidecars' event loops keep up, was the machine starved, did the load deliver what the
scenario declares. An expectation that depends on a promise that was broken is reported
inconclusive (src/verdict/promises.ts), with these numbers.
*/
export interface RunHealth {
  /** The harness process (control plane, fault schedule, collector); null when not measured. */
  harnessLoop: LoopDelay | null;
  /**
  The load generator's process (its own event loop sends every request and times every response):
  a stall there adds to the latency it measures and makes it send late or drop; null when not
  measured (the load never ran, or ran in the harness's process).
  */
  loadLoop: LoopDelay | null;
  /** Each sidecar that answered at the end, by instance (`ingress` for the load's entry). */
  sidecarLoops: Record<string, LoopDelay>;
  /** null where /proc/stat cannot be read (not Linux). */
  cpu: CpuBusy | null;
  faults: FaultTiming[];
  /** null when the load never ran. */
  load: LoadFidelity | null;
}

/**
The promises a run keeps, each named once: what an inconclusive verdict says it depended on, and
what each row of the health section is about (contract/describe-run-health.ts), so the two are one
judgment. `fault:<name>:<edge>` for each fault edge.
*/
export type PromiseKey = 'load' | 'harness-loop' | 'load-loop' | 'sidecar-loops' | 'cpu' | `fault:${string}:${'start' | 'end'}`;

/** One expectation made inconclusive (its sentence) and the promises that did it. */
export interface PromiseBreach {
  expectation: string;
  promises: readonly PromiseKey[];
}

/** The worst sidecar by p99 loop delay, or null when none was measured. */
export function worstSidecarLoop(health: RunHealth): { instance: string; loop: LoopDelay } | null {
  let worst: { instance: string; loop: LoopDelay } | null = null;
  for (const [instance, loop] of Object.entries(health.sidecarLoops)) {
    if (loop.samples > 0 && (!worst || loop.p99Ms > worst.loop.p99Ms)) worst = { instance, loop };
  }
  return worst;
}

/** The event-loop delay as a sidecar's `GET /stats` gauges `server.event_loop_delay.*` (Envoy keeps process figures under `server.`). */
export function loopDelayGauges(d: LoopDelay): Record<string, number> {
  return { 'event_loop_delay.p50_ms': d.p50Ms, 'event_loop_delay.p99_ms': d.p99Ms, 'event_loop_delay.max_ms': d.maxMs, 'event_loop_delay.samples': d.samples };
}

/** The event-loop delay read back from `GET /stats`'s gauges, or null when the sidecar does not measure it. */
export function loopDelayFromGauges(gauges: Record<string, number>): LoopDelay | null {
  const p99 = gauges['server.event_loop_delay.p99_ms'];
  if (p99 === undefined) return null;
  return { p50Ms: gauges['server.event_loop_delay.p50_ms'] ?? 0, p99Ms: p99, maxMs: gauges['server.event_loop_delay.max_ms'] ?? 0, samples: gauges['server.event_loop_delay.samples'] ?? 0 };
}

