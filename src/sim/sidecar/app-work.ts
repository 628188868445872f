import { seriesKey, type Recorder } from '../../contract/series.ts';
import { WORK_PATH, type WorkReport } from '../builtin/work-log.ts';

// node:http from process.getBuiltinModule and not fetch: fetch is undici, which would load undici, http2,
// zlib and worker_threads (~8 MB of RSS) into every sidecar for this one read.
const { get } = process.getBuiltinModule('node:http');

/** How long one read of the app's work log may take: the app is on loopback, and a paused one must not hold up a timeline read. */
const READ_TIMEOUT_MS = 500;

/**
Reads the built-in service's work log (`GET /.meshproof/work`: what it wasted on requests nobody
waited for, and saved by stopping) into this sidecar's timeline, as the `wasted:<instance>` and
`saved:<instance>` series, each record in the second its work ended. The app is the sidecar's
neighbour on loopback, like the process a Prometheus scrape would read, so the harness needs no
way to the app of its own; a killed app loses at most what it did since the last read.
*/
export class AppWorkReader {
  private readonly recorder: Recorder;
  private readonly wastedKey: string;
  private readonly savedKey: string;
  private incarnation = '';
  private last = 0;
  private reading: Promise<void> | null = null;
  /** Records the app's log had dropped before they were read. */
  dropped = 0;

  constructor(options: { instance: string; recorder: Recorder }) {
    this.recorder = options.recorder;
    this.wastedKey = seriesKey.wasted(options.instance);
    this.savedKey = seriesKey.saved(options.instance);
  }

  /** Reads what is new; concurrent calls share one read. Never throws: an app that does not answer is read next time. */
  read(app: { host: string; port: number }): Promise<void> {
    this.reading ??= this.readOnce(app).finally(() => (this.reading = null));
    return this.reading;
  }

  private async readOnce(app: { host: string; port: number }): Promise<void> {
    let report: WorkReport;
    try {
      const q = `since=${this.last}&incarnation=${encodeURIComponent(this.incarnation)}`;
      report = await readJson<WorkReport>(app, `${WORK_PATH}?${q}`);
    } catch {
      return;
    }
    if (report.incarnation !== this.incarnation) {
      // A restarted app: its log starts over, and it answered from the start.
      this.incarnation = report.incarnation;
      this.last = 0;
    }
    this.dropped += report.dropped;
    for (const r of report.records) {
      if (r.seq <= this.last) continue;
      this.recorder.add(r.kind === 'wasted' ? this.wastedKey : this.savedKey, 200, r.ms, null, r.at);
      this.last = r.seq;
    }
  }
}

/** One GET of JSON from the app, rejected on a status other than 200, a bad body or no whole answer within READ_TIMEOUT_MS. */
function readJson<T>(app: { host: string; port: number }, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = get({ host: app.host, port: app.port, path, agent: false, timeout: READ_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`answered ${res.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    // `timeout` is idle time on the socket; the whole read is bounded too, as fetch's signal bounded it.
    const whole = setTimeout(() => req.destroy(new Error(`no answer within ${READ_TIMEOUT_MS}ms`)), READ_TIMEOUT_MS);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${READ_TIMEOUT_MS}ms`)));
    req.on('error', reject);
    req.on('close', () => clearTimeout(whole));
  });
}
