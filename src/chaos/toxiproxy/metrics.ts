import type { Direction } from './direction.ts';

/** Bytes one link has read from its source and written to its destination. */
export interface LinkCounters {
  received: number;
  sent: number;
}

interface Series {
  labels: string;
  counters: LinkCounters;
}

/**
Toxiproxy's proxy metrics: `toxiproxy_proxy_received_bytes_total` and `…_sent_bytes_total`, labelled
by direction, listener, proxy and upstream. Two differences, both on purpose: they are always on (no
`-proxy-metrics` flag), and they count as bytes move rather than when a connection closes.
*/
export class ProxyMetrics {
  private readonly series = new Map<string, Series>();

  /** The counters for one label set; a link looks them up once, when it starts. */
  counters(direction: Direction, proxy: string, listener: string, upstream: string): LinkCounters {
    const key = `${direction}\u0000${proxy}\u0000${listener}\u0000${upstream}`;
    let s = this.series.get(key);
    if (s === undefined) {
      const labels = `direction="${escape(direction)}",listener="${escape(listener)}",proxy="${escape(proxy)}",upstream="${escape(upstream)}"`;
      s = { labels, counters: { received: 0, sent: 0 } };
      this.series.set(key, s);
    }
    return s.counters;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const all = [...this.series.values()].sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
    const lines: string[] = [];
    const family = (name: string, help: string, pick: (c: LinkCounters) => number): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const s of all) lines.push(`${name}{${s.labels}} ${pick(s.counters)}`);
    };
    family('toxiproxy_proxy_received_bytes_total', 'The total number of bytes received from the source of a link.', (c) => c.received);
    family('toxiproxy_proxy_sent_bytes_total', 'The total number of bytes sent to the destination of a link.', (c) => c.sent);
    return lines.join('\n') + '\n';
  }
}

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
