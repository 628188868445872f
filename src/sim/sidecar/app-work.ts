import { seriesKey, type Recorder } from '../../contract/series.ts';
import { httpJson } from '../../util/http-json.ts';
import { WORK_PATH, type WorkReport } from '../builtin/work-log.ts';

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
    let report: WorkReport | undefined;
    try {
      const q = `since=${this.last}&incarnation=${encodeURIComponent(this.incarnation)}`;
      // A URL brackets an IPv6 address.
      const host = app.host.includes(':') ? `[${app.host}]` : app.host;
      report = await httpJson<WorkReport>(`http://${host}:${app.port}${WORK_PATH}?${q}`, { timeoutMs: READ_TIMEOUT_MS });
    } catch {
      return;
    }
    // An empty answer: nothing to read, and nothing to throw over.
    if (!report) return;
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
