/**
What the built-in service did for requests nobody waited for, one record per request, for its
sidecar to read (`GET /.meshproof/work?since=<seq>`) into the run's timeline:
- `wasted`: it worked on the request for more than `WASTE_GRACE_MS` after the moment a caller up the
  chain had given up on it (the `x-meshproof-give-up-at` it carried, or the moment its own caller
  closed the connection, whichever came first); `ms` is the work done after that moment;
- `saved`: it stopped, or never started, working on a request because the request's deadline had
  passed or its caller had gone (`deadlines: propagate`); `ms` is the processing time it did not
  spend (the calls to its dependencies it did not make are not in it, so it is a lower bound).
*/
export interface WorkRecord {
  /** From 1, per incarnation of the service. */
  seq: number;
  /** Epoch ms when the work ended (or was skipped). */
  at: number;
  kind: 'wasted' | 'saved';
  ms: number;
}

/** What `GET /.meshproof/work` answers. */
export interface WorkReport {
  /** Changes when the process starts again, so a reader knows to start over from seq 0. */
  incarnation: string;
  /** The highest seq so far. */
  last: number;
  /** Records with seq > since, oldest first (at most the log's capacity: older ones are gone). */
  records: WorkRecord[];
  /** Records the reader missed because the log had moved past them. */
  dropped: number;
}

/**
Work past a caller's give-up time that is too small to be waste: a hop that stops at its deadline
stops a little after the exact instant (timers fire late, remaining times are rounded up to the
whole ms at each hop), and a caller's give-up time is known to the ms only.
*/
export const WASTE_GRACE_MS = 10;

/** The path the built-in service answers it on (never a request of the load: the sidecar reads it directly from the app). */
export const WORK_PATH = '/.meshproof/work';

/** A bounded log of work records: the oldest go once `capacity` is reached. */
export class WorkLog {
  readonly incarnation: string;
  private readonly capacity: number;
  private records: WorkRecord[] = [];
  private seq = 0;
  /** Totals since start, for tests and the service's own answer. */
  readonly totals = { wasted: 0, wastedMs: 0, saved: 0, savedMs: 0 };

  constructor(options: { incarnation: string; capacity?: number }) {
    this.incarnation = options.incarnation;
    this.capacity = options.capacity ?? 100_000;
  }

  add(kind: WorkRecord['kind'], at: number, ms: number): void {
    const r: WorkRecord = { seq: ++this.seq, at, kind, ms: Math.max(0, Math.round(ms * 1000) / 1000) };
    if (kind === 'wasted') {
      this.totals.wasted++;
      this.totals.wastedMs += r.ms;
    } else {
      this.totals.saved++;
      this.totals.savedMs += r.ms;
    }
    this.records.push(r);
    // Trim in batches, not on every add.
    if (this.records.length > this.capacity * 1.25) this.records = this.records.slice(this.records.length - this.capacity);
  }

  since(seq: number): WorkReport {
    const first = this.records.length === 0 ? this.seq + 1 : this.records[0].seq;
    const from = Math.max(seq + 1, first);
    // Seqs are contiguous, so the first record wanted is at a known index.
    const records = this.records.slice(from - first);
    return { incarnation: this.incarnation, last: this.seq, records, dropped: Math.max(0, first - (seq + 1)) };
  }
}
