import type { SidecarEvent } from './sim/sidecar-config.ts';
import type { Verdict } from './verdict/verdict.ts';
import type { InstanceState } from './scenario/scenario.ts';

/**
Typed events the engine emits while a run happens. The CLI's progress output, the TUI and the
reporters subscribe; nothing in the engine prints.
*/
export type RunEvent =
  | { type: 'run-starting'; at: number; scenario: string; runId: string }
  | { type: 'instance-up'; at: number; instance: string; service: string; ports: Record<string, number> }
  | { type: 'instance-down'; at: number; instance: string; reason: string }
  | { type: 'topology-ready'; at: number; instances: number; ms: number }
  | { type: 'load-started'; at: number; t0: number; rate: number; connections: number; durationMs: number }
  | { type: 'tick'; at: number; second: number; rps: number; ok: number; errors: number; p99: number }
  | { type: 'load-finished'; at: number; requests: number; errors: number }
  | { type: 'sidecar-event'; at: number; event: SidecarEvent }
  | { type: 'fault-started'; at: number; fault: string; detail: string }
  | { type: 'fault-ended'; at: number; fault: string; detail: string }
  | { type: 'instance-state'; at: number; instance: string; state: InstanceState; reason: string }
  | { type: 'expectation-settled'; at: number; verdict: Verdict }
  | { type: 'teardown'; at: number; stopped: number }
  | { type: 'run-finished'; at: number; passed: boolean; reportDir: string | null };

export type RunEventListener = (event: RunEvent) => void;
