import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
CPU time and resident memory of a set of processes, read from Linux's /proc. The bench measures a
proxy's cost as the processes it really runs as (a sidecar; an nginx master and its workers), so it
reads the kernel's accounting rather than asking the proxy about itself.
*/

/** Clock ticks per second, the unit of utime/stime in /proc/<pid>/stat (100 on every common Linux). */
export const CLOCK_TICKS: number = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

export function procAvailable(): boolean {
  try {
    readFileSync('/proc/self/stat', 'utf8');
    return true;
  } catch {
    return false;
  }
}

interface StatFields {
  /** R, S, D, Z (zombie: exited, not yet reaped by its parent), T… */
  state: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Since boot, in clock ticks: with the pid, it names one process for good (pids are recycled). */
  startTime: number;
}

/** Fields of /proc/<pid>/stat, or null when the process is gone. */
export function readStat(pid: number): StatFields | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field n is rest[n - 3].
  return { state: rest[0], ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]), startTime: Number(rest[19]) };
}

/**
Resident memory of a process in bytes, or zeros when it is gone. `rss` is VmRSS, what `ps` and
`top` show. `anon` is RssAnon, its private memory (heap, stacks); the rest of VmRSS is mapped
files, mostly the program's own binary, which every process running the same binary shares
through the page cache (about half of a Node process's VmRSS).
*/
export function readMemory(pid: number): { rss: number; anon: number } {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon') };
  } catch {
    return { rss: 0, anon: 0 };
  }
}

/** The pids given and all their descendants (an nginx master's workers), found by walking /proc. */
export function withDescendants(roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = readStat(pid);
    if (!s) continue;
    const list = children.get(s.ppid);
    if (list) list.push(pid);
    else children.set(s.ppid, [pid]);
  }
  const out: number[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (out.includes(pid)) continue;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

export interface CpuSnapshot {
  /** performance.now() when taken. */
  atMs: number;
  ticks: Map<number, number>;
}

export function cpuSnapshot(pids: number[]): CpuSnapshot {
  const ticks = new Map<number, number>();
  for (const pid of pids) {
    const s = readStat(pid);
    if (s) ticks.set(pid, s.cpuTicks);
  }
  return { atMs: performance.now(), ticks };
}

/**
Cores used between two snapshots (1.0 = one core busy all the time), summed over the processes
present in both. A process that exited in between is left out rather than counted as zero use.
*/
export function coresUsed(before: CpuSnapshot, after: CpuSnapshot): { cpuSeconds: number; wallSeconds: number; cores: number } {
  let ticks = 0;
  for (const [pid, t] of after.ticks) {
    const b = before.ticks.get(pid);
    if (b !== undefined) ticks += t - b;
  }
  const cpuSeconds = ticks / CLOCK_TICKS;
  const wallSeconds = (after.atMs - before.atMs) / 1000;
  return { cpuSeconds, wallSeconds, cores: wallSeconds > 0 ? cpuSeconds / wallSeconds : NaN };
}

/** Summed resident memory of the processes, bytes. */
export function memory(pids: number[]): { rss: number; anon: number } {
  const sum = { rss: 0, anon: 0 };
  for (const pid of pids) {
    const m = readMemory(pid);
    sum.rss += m.rss;
    sum.anon += m.anon;
  }
  return sum;
}

/**
CPU time of the whole machine (every core, every process) since boot, in clock ticks, from
/proc/stat: `busy` is time this machine spent running anything; `steal` is time the hypervisor gave
this machine's virtual CPUs to someone else.
*/
export function machineTicks(): { busy: number; steal: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    // cpu user nice system idle iowait irq softirq steal …
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return { busy: user + nice + system + irq + softirq, steal: steal || 0 };
  } catch {
    return { busy: NaN, steal: NaN };
  }
}
