import { Worker } from 'node:worker_threads';

/**
How well the machine keeps time for a thread that sleeps and wakes, measured while something else
runs: a worker thread sleeps 1 ms at a time (Atomics.wait, as the load's pacer does) and records how
late each wake-up is. On an idle machine it wakes within ~0.1 ms; when other work keeps the cores
busy, the kernel runs it tens of milliseconds late. Any sender is at most this punctual, so a
measurement of smoothness means something only when the probe was.
*/
export interface ClockProbeResult {
  wakeUps: number;
  /** How late the wake-ups were, ms. */
  p99: number;
  max: number;
  /** Every wake-up: when it was due (monotonicMs) and how late it came, ms. */
  samples: [due: number, lateMs: number][];
}

/** The worst wake-up due in [from, to), ms (NaN when the probe has none there). */
export function worstLateness(r: ClockProbeResult, from: number, to: number): number {
  let worst = NaN;
  for (const [due, late] of r.samples) if (due >= from && due < to && !(late <= worst)) worst = late;
  return worst;
}

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ctl = new Int32Array(workerData);
const samples = [];
const now = () => { const [s, ns] = process.hrtime(); return s * 1000 + ns / 1e6; };
while (Atomics.load(ctl, 0) === 0) {
  const t = now() + 1;
  Atomics.wait(ctl, 0, 0, 1);
  if (Atomics.load(ctl, 0) !== 0) break;
  samples.push([t, Math.max(0, now() - t)]);
}
const late = samples.map((x) => x[1]).sort((a, b) => a - b);
parentPort.postMessage({ wakeUps: late.length, p99: late[Math.floor(0.99 * (late.length - 1))] ?? NaN, max: late[late.length - 1] ?? NaN, samples });
`;

export class ClockProbe {
  private readonly control = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private readonly result: Promise<ClockProbeResult>;

  constructor() {
    this.worker = new Worker(SOURCE, { eval: true, workerData: this.control.buffer });
    this.result = new Promise((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
    });
  }

  /** Stops probing and says how punctual the wake-ups were. */
  async stop(): Promise<ClockProbeResult> {
    Atomics.store(this.control, 0, 1);
    Atomics.notify(this.control, 0);
    const r = await this.result;
    await this.worker.terminate();
    return r;
  }
}
