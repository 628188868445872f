import { readFileSync } from 'node:fs';
import type { CpuBusy } from '../contract/run-health.ts';

/** The machine's CPU counters at one moment: jiffies, summed over every core. */
interface CpuTimes {
  total: number;
  idle: number;
  steal: number;
  cores: number;
}

export interface CpuSamplerOptions {
  /** Reads /proc/stat (the OS's edge; a test gives its own text). @default the file itself */
  readStat?: () => string;
  /** @default 1000 */
  intervalMs?: number;
}

/**
How busy the machine is while a run happens: /proc/stat's aggregate `cpu` line read once a second
(one small file read; nothing on any request's path), each sample the share of CPU time that was not
idle over the second, and the share stolen by the hypervisor. Where /proc/stat cannot be read (not
Linux), `summary()` is null.
*/
export class CpuSampler {
  private readonly readStat: () => string;
  private readonly intervalMs: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private last: CpuTimes | null = null;
  private readonly busy: number[] = [];
  private readonly steal: number[] = [];
  private cores = 0;

  constructor(options: CpuSamplerOptions = {}) {
    this.readStat = options.readStat ?? (() => readFileSync('/proc/stat', 'utf8'));
    this.intervalMs = options.intervalMs ?? 1000;
  }

  /** Starts sampling from now (a span: the samples of an earlier start are dropped). */
  start(): this {
    this.stop();
    this.busy.length = 0;
    this.steal.length = 0;
    this.last = this.read();
    if (!this.last) return this;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Takes a last sample (the part-second since the previous one) and stops. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  /** Takes one sample now: the share since the previous one. */
  sample(): void {
    const now = this.read();
    const prev = this.last;
    this.last = now;
    if (!now || !prev) return;
    const total = now.total - prev.total;
    if (total <= 0) return;
    this.busy.push((total - (now.idle - prev.idle)) / total);
    this.steal.push((now.steal - prev.steal) / total);
  }

  summary(): CpuBusy | null {
    if (this.busy.length === 0) return null;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const r = (x: number) => Math.round(x * 1000) / 1000;
    return { cores: this.cores, busy: r(mean(this.busy)), busyMax: r(Math.max(...this.busy)), steal: r(mean(this.steal)), samples: this.busy.length };
  }

  private read(): CpuTimes | null {
    let text: string;
    try {
      text = this.readStat();
    } catch {
      return null;
    }
    const times = parseProcStat(text);
    if (times) this.cores = times.cores;
    return times;
  }
}

/**
/proc/stat's `cpu` line: user nice system idle iowait irq softirq steal (guest time is already in
user). Idle is idle + iowait: a core waiting for I/O could run something else.
*/
export function parseProcStat(text: string): CpuTimes | null {
  const lines = text.split('\n');
  const agg = lines.find((l) => /^cpu\s/.test(l));
  if (!agg) return null;
  const f = agg.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 4 || f.some((x) => !Number.isFinite(x))) return null;
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, steal, cores: lines.filter((l) => /^cpu\d+\s/.test(l)).length };
}
