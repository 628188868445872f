import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { pidAlive } from '../../process/pid-alive.ts';

/**
Labels on everything the Docker runtime creates (containers, networks, images): how a run's
leftovers are found and reaped, and how `docker ps --filter label=meshproof=1` shows what is ours.
*/
export const LABEL = {
  /** On everything meshproof creates: `1`. */
  meshproof: 'meshproof',
  run: 'meshproof.run',
  scenario: 'meshproof.scenario',
  /** `sidecar`, `app`, `fault-engine`, `span-relay` (containers), `network`, `runtime-image`. */
  role: 'meshproof.role',
  instance: 'meshproof.instance',
  service: 'meshproof.service',
  /** The harness process that owns a run: pid, its start time (so a recycled pid is not mistaken for it) and host. */
  harnessPid: 'meshproof.harness.pid',
  harnessStart: 'meshproof.harness.start',
  harnessHost: 'meshproof.harness.host',
  /** Hash of the runtime image's inputs (sources, dependencies, Node binary, build files). */
  imageHash: 'meshproof.image.hash',
} as const;

export type ContainerRole = 'sidecar' | 'app' | 'fault-engine' | 'span-relay' | 'ratelimit';

/** Who this harness is, as written into labels and checked by the reaper. */
export interface HarnessIdentity {
  pid: number;
  /** Start time of the process in clock ticks since boot (Linux); '' where unknown. */
  start: string;
  host: string;
}

export function currentHarness(): HarnessIdentity {
  return { pid: process.pid, start: processStart(process.pid) ?? '', host: hostname() };
}

export function runLabels(runId: string, scenario: string, harness: HarnessIdentity = currentHarness()): Record<string, string> {
  return {
    [LABEL.meshproof]: '1',
    [LABEL.run]: runId,
    [LABEL.scenario]: scenario,
    [LABEL.harnessPid]: String(harness.pid),
    [LABEL.harnessStart]: harness.start,
    [LABEL.harnessHost]: harness.host,
  };
}

/** Start time of a process (field 22 of /proc/<pid>/stat), null when the process is gone or /proc is absent. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/**
Whether the harness named by a resource's labels is still running. On doubt (another host shares
this Docker engine, or no /proc to tell a recycled pid) the answer is yes: a live run is never reaped.
*/
export function harnessAlive(labels: Record<string, string>, here: { host: string; isAlive?: (pid: number) => boolean; startOf?: (pid: number) => string | null } = { host: hostname() }): boolean {
  const pid = Number(labels[LABEL.harnessPid]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (labels[LABEL.harnessHost] !== here.host) return true;
  const isAlive = here.isAlive ?? pidAlive;
  if (!isAlive(pid)) return false;
  const recorded = labels[LABEL.harnessStart];
  if (!recorded) return true;
  const start = (here.startOf ?? processStart)(pid);
  return start === null ? process.platform !== 'linux' : start === recorded;
}
