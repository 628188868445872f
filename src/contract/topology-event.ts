import type { InstanceState } from './state-change.ts';

/**
What the parts below the engine report while a run happens: the runtime that an instance is up,
the fault runner that a fault started or ended and what it did to an instance. The engine passes
them on among its own events (events.ts), which is what the live view and the reporters hear.
*/
export type TopologyEvent =
  | { type: 'instance-up'; at: number; instance: string; service: string; ports: Record<string, number> }
  | { type: 'instance-down'; at: number; instance: string; reason: string }
  | { type: 'instance-state'; at: number; instance: string; state: InstanceState; reason: string }
  | { type: 'fault-started'; at: number; fault: string; detail: string }
  | { type: 'fault-ended'; at: number; fault: string; detail: string };

export type TopologyEventListener = (event: TopologyEvent) => void;
