import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { formatHostPort, listenHost, parseHostPort, type HostPort } from './address.ts';
import { Connection } from './connection.ts';
import type { Direction } from './direction.ts';
import { internalError } from './errors.ts';
import type { LinkCounters, ProxyMetrics } from './metrics.ts';
import type { SeedSource } from './seeds.ts';
import { ToxicCollection } from './toxic-collection.ts';
import type { ToxicJson } from './toxic-entry.ts';

export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}

export interface ProxyOptions {
  name: string;
  listen: string;
  upstream: string;
  seeds: SeedSource;
  metrics: ProxyMetrics;
}

interface Dialing {
  client: Socket;
  upstream: Socket;
}

const ignore = (): void => {};

/**
A TCP proxy: a listener, and for each client a connection to the upstream joined by two links
through the proxy's toxics. As in Toxiproxy, the upstream is dialled only when a client connects,
so a client of a proxy whose upstream is down sees its connect succeed and then the connection
close; only a disabled proxy refuses connections.
*/
export class Proxy {
  readonly name: string;
  listen: string;
  upstream: string;
  enabled = false;
  readonly toxics = new ToxicCollection();
  private readonly seeds: SeedSource;
  private readonly metrics: ProxyMetrics;
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private readonly dialing = new Set<Dialing>();
  private accepted = 0;
  private target: { address: string; parsed: HostPort | Error } | undefined;
  private counters: Record<Direction, LinkCounters> | undefined;

  constructor(options: ProxyOptions) {
    this.name = options.name;
    this.listen = options.listen;
    this.upstream = options.upstream;
    this.seeds = options.seeds;
    this.metrics = options.metrics;
  }

  toJSON(): ProxyJson {
    return { name: this.name, listen: this.listen, upstream: this.upstream, enabled: this.enabled, toxics: this.toxics.toJSON() };
  }

  /** Open connections (for tests and diagnostics). */
  openConnections(): Connection[] {
    return [...this.connections];
  }

  /** Starts listening; a no-op when already enabled. Throws an ApiError (500) when the listen fails. */
  async start(): Promise<void> {
    if (this.enabled) return;
    let where: HostPort;
    try {
      where = parseHostPort(this.listen === '' ? ':0' : this.listen);
    } catch (err) {
      throw internalError(`listen tcp: ${(err as Error).message}`);
    }
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, this.accept);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: listenHost(where.host), port: where.port }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      throw internalError(`listen tcp ${this.listen}: ${describeListenError(err)}`);
    });
    server.on('error', ignore);
    const address = server.address() as AddressInfo;
    this.listen = formatHostPort(address.address, address.port);
    this.server = server;
    this.counters = undefined;
    this.enabled = true;
  }

  /** Stops listening (new connects are refused) and closes every open connection. */
  stop(): void {
    if (!this.enabled) return;
    this.enabled = false;
    this.server?.close();
    this.server = null;
    for (const d of this.dialing) {
      d.upstream.destroy();
      d.client.destroy();
    }
    this.dialing.clear();
    for (const c of this.connections) c.destroy();
    this.connections.clear();
  }

  /** Toxiproxy's Proxy.Update: a new listen or upstream restarts the proxy, dropping connections. */
  async update(input: { listen: string; upstream: string; enabled: boolean }): Promise<void> {
    if (input.listen !== this.listen || input.upstream !== this.upstream) {
      this.stop();
      this.listen = input.listen;
      this.upstream = input.upstream;
    }
    if (input.enabled !== this.enabled) {
      if (input.enabled) await this.start();
      else this.stop();
    }
  }

  private readonly accept = (client: Socket): void => {
    client.on('error', ignore);
    if (!this.enabled) {
      client.destroy();
      return;
    }
    const index = ++this.accepted;
    const target = this.resolveTarget();
    if (target instanceof Error) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    upstream.on('error', ignore);
    const dialing: Dialing = { client, upstream };
    this.dialing.add(dialing);
    upstream.once('connect', () => {
      if (!this.dialing.delete(dialing)) return;
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      const connection = new Connection({
        index,
        client,
        upstream,
        toxics: this.toxics,
        counters: this.linkCounters(),
        randoms: (i, direction, toxic) => this.seeds.forStage(this.name, i, direction, toxic),
        onClosed: (c) => this.connections.delete(c),
      });
      this.connections.add(connection);
      connection.start();
      client.resume();
    });
    upstream.once('close', () => {
      // The dial failed: Toxiproxy closes the client it had already accepted.
      if (this.dialing.delete(dialing)) client.end(() => client.destroy());
    });
  };

  private resolveTarget(): HostPort | Error {
    if (this.target?.address !== this.upstream) {
      let parsed: HostPort | Error;
      try {
        parsed = parseHostPort(this.upstream);
        // Go dials the local system for an empty host.
        if (parsed.host === '') parsed = { host: 'localhost', port: parsed.port };
      } catch (err) {
        parsed = err as Error;
      }
      this.target = { address: this.upstream, parsed };
    }
    return this.target.parsed;
  }

  private linkCounters(): Record<Direction, LinkCounters> {
    this.counters ??= {
      upstream: this.metrics.counters('upstream', this.name, this.listen, this.upstream),
      downstream: this.metrics.counters('downstream', this.name, this.listen, this.upstream),
    };
    return this.counters;
  }
}

function describeListenError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return 'bind: address already in use';
    case 'EADDRNOTAVAIL':
      return 'bind: cannot assign requested address';
    case 'EACCES':
      return 'bind: permission denied';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `lookup: no such host`;
    default:
      return err.message;
  }
}
