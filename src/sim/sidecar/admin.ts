import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { SparseSeries } from '../../contract/series.ts';
import { describeMeshEvent, type Describer } from '../../contract/describe-mesh-event.ts';
import type { MeshEvent, MeshEventRecord } from '../../contract/mesh-event.ts';
import type { SidecarConfig } from '../../contract/sidecar-config.ts';
import type { StatsSnapshot } from './stats.ts';

/** What the admin endpoint reads from and writes to. */
export interface AdminTarget {
  readonly config: SidecarConfig | null;
  /** Throws with a message saying what is wrong when the config cannot be applied. */
  applyConfig(cfg: SidecarConfig): { version: number; applied: boolean };
  validate(cfg: unknown): string[];
  stats(): StatsSnapshot;
  prometheus(): string;
  events(since: number): MeshEvent[];
  timeline(since: number): { t0: number; series: SparseSeries };
  /** Brings the timeline up to date before it is read (the app's work records); absent = nothing to read. */
  refreshTimeline?(): Promise<void>;
  clusters(): unknown;
}

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json');
}

function intParam(query: URLSearchParams, name: string, fallback: number): number | null {
  const v = query.get(name);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

/**
The admin listener, like Envoy's admin port:
- `GET /ready`: 200 `LIVE` once a config is applied, 503 before;
- `GET /stats`: counters and gauges as JSON; `GET /stats/prometheus`: the same as Prometheus text;
- `GET /config_dump`: the running SidecarConfig, its private key `[redacted]` (503 before the first push);
- `POST /config`: push a SidecarConfig; applied without restart when its version is newer;
  answers `{version, applied}` (400 with `{error, problems}` when invalid);
- `GET /events?since=<seq>`: `{events}` with seq > since, each with the describer's `message`;
- `GET /timeline?since=<second>`: `{t0, series}`, the per-second buckets of seconds >= since;
- `GET /clusters`: each destination's endpoints, health and in-flight tries.
The sidecar wraps it in guardControl (src/auth): writes need the run's credential, every request a
loopback Host.
*/
export function adminHandler(target: AdminTarget, describe: Describer = describeMeshEvent): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const route = `${req.method} ${path}`;
    try {
      switch (route) {
        case 'GET /ready':
          return target.config ? send(res, 200, 'LIVE\n', 'text/plain') : send(res, 503, 'NOT READY: no config pushed yet\n', 'text/plain');
        case 'GET /stats':
          return json(res, 200, target.stats());
        case 'GET /stats/prometheus':
          return send(res, 200, target.prometheus(), 'text/plain; version=0.0.4; charset=utf-8');
        case 'GET /config_dump':
          return target.config ? json(res, 200, redacted(target.config)) : json(res, 503, { error: 'no config pushed yet' });
        case 'GET /clusters':
          return json(res, 200, target.clusters());
        case 'GET /events': {
          const since = intParam(query, 'since', 0);
          if (since === null) return json(res, 400, { error: `since: expected a sequence number, got ${JSON.stringify(query.get('since'))}` });
          const events: MeshEventRecord[] = target.events(since).map((e) => ({ ...e, message: describe(e) }));
          return json(res, 200, { events });
        }
        case 'GET /timeline': {
          const since = intParam(query, 'since', Number.MIN_SAFE_INTEGER);
          if (since === null) return json(res, 400, { error: `since: expected a second, got ${JSON.stringify(query.get('since'))}` });
          const refreshed = target.refreshTimeline?.() ?? Promise.resolve();
          return void refreshed.then(
            () => json(res, 200, target.timeline(since)),
            (err: Error) => json(res, 500, { error: err.message }),
          );
        }
        case 'POST /config':
          return receiveConfig(target, req, res);
        default: {
          const known = ['GET /ready', 'GET /stats', 'GET /stats/prometheus', 'GET /config_dump', 'GET /clusters', 'GET /events?since=', 'GET /timeline?since=', 'POST /config'];
          return json(res, 404, { error: `no admin route ${route}; known: ${known.join(', ')}` });
        }
      }
    } catch (err) {
      json(res, 500, { error: (err as Error).message });
    }
  };
}

/** The running config without the private key, as Envoy's config_dump shows a secret's key as `[redacted]`. */
function redacted(cfg: SidecarConfig): SidecarConfig {
  const id = cfg.security?.identity;
  if (!id) return cfg;
  return { ...cfg, security: { ...cfg.security!, identity: { ...id, key: '[redacted]' } } };
}

function receiveConfig(target: AdminTarget, req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooBig = false;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_CONFIG_BYTES) tooBig = true;
    else chunks.push(c);
  });
  req.on('end', () => {
    if (tooBig) return json(res, 413, { error: `config over ${MAX_CONFIG_BYTES} bytes` });
    let cfg: unknown;
    try {
      cfg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      return json(res, 400, { error: `invalid JSON: ${(err as Error).message}` });
    }
    const problems = target.validate(cfg);
    if (problems.length > 0) return json(res, 400, { error: `invalid config: ${problems.join('; ')}`, problems });
    try {
      json(res, 200, target.applyConfig(cfg as SidecarConfig));
    } catch (err) {
      json(res, 400, { error: (err as Error).message });
    }
  });
}
