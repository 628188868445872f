import { readdirSync, readFileSync } from 'node:fs';

/**
Live processes (not zombies) whose environment carries MESHPROOF_RUN_ID=runId, other than this one:
everything a run started, its users' programs and whatever they started in turn, wherever they went
(another process group, a new session). Linux only (/proc); elsewhere, an empty list.
*/
export function processesOfRun(runId: string): number[] {
  if (process.platform !== 'linux') return [];
  const needle = `MESHPROOF_RUN_ID=${runId}`;
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (!env.split('\0').includes(needle)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z') pids.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

/** SIGKILLs every process of a run (see processesOfRun); returns the pids signalled. */
export function killProcessesOfRun(runId: string): number[] {
  const killed: number[] = [];
  for (const pid of processesOfRun(runId)) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      /* already gone */
    }
  }
  return killed;
}
