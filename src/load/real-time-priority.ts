import { execFileSync } from 'node:child_process';

/**
Asks the kernel to run a thread, or every thread of a process (`allThreads`), under SCHED_FIFO at
`priority` (util-linux's chrt; needs root or CAP_SYS_NICE). Returns what the kernel granted, in words
(`SCHED_FIFO 2`), or why not (`refused: …`); never throws: a load without the priority still runs,
and says so. Threads created later by a thread under SCHED_FIFO inherit it.
*/
export function realTimePriority(id: number, priority: number, allThreads = false): string {
  try {
    execFileSync('chrt', [...(allThreads ? ['-a'] : []), '-f', '-p', String(priority), String(id)], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5_000 });
    return `SCHED_FIFO ${priority}`;
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    return `refused: ${(e.stderr?.toString().trim() || e.message).split('\n')[0]}`;
  }
}
