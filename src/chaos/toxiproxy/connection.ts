import type { Socket } from 'node:net';
import { Link } from './link.ts';
import type { LinkCounters } from './metrics.ts';
import type { StageRandoms } from './seeds.ts';
import type { ToxicCollection } from './toxic-collection.ts';
import type { Direction } from './direction.ts';

export interface ConnectionOptions {
  /** The connection's ordinal on its proxy, from 1 (it names the seeded random streams). */
  index: number;
  client: Socket;
  upstream: Socket;
  toxics: ToxicCollection;
  counters: Record<Direction, LinkCounters>;
  randoms(index: number, direction: Direction, toxic: string): StageRandoms;
  onClosed(connection: Connection): void;
}

/** How long a closing socket may take to flush before it is destroyed anyway (its peer stopped reading). */
const CLOSE_GRACE_MS = 5000;

/**
A client and the upstream connection dialled for it, joined by two links: `upstream` (client →
server) and `downstream` (server → client). When one link's output ends, its destination socket is
closed completely, as Toxiproxy's Close() does; the other link then sees its source close and ends
in turn. Half-closed connections are therefore not kept open, as in Toxiproxy.
*/
export class Connection {
  readonly index: number;
  readonly up: Link;
  readonly down: Link;
  private readonly client: Socket;
  private readonly upstream: Socket;
  private readonly toxics: ToxicCollection;
  private readonly onClosed: (connection: Connection) => void;
  /**
  SO_LINGER 0 on both sockets: set when the connection starts while the proxy has a reset_peer
  toxic (in either direction), as Toxiproxy does. Every close is then an RST.
  */
  private lingerZero = false;
  private socketsClosed = 0;
  private done = false;

  constructor(options: ConnectionOptions) {
    this.index = options.index;
    this.client = options.client;
    this.upstream = options.upstream;
    this.toxics = options.toxics;
    this.onClosed = options.onClosed;
    const finish = (link: Link): void => this.closeSocket(link === this.up ? this.upstream : this.client);
    this.up = new Link({
      direction: 'upstream',
      source: this.client,
      dest: this.upstream,
      counters: options.counters.upstream,
      randoms: (toxic) => options.randoms(this.index, 'upstream', toxic),
      onFinish: finish,
    });
    this.down = new Link({
      direction: 'downstream',
      source: this.upstream,
      dest: this.client,
      counters: options.counters.downstream,
      randoms: (toxic) => options.randoms(this.index, 'downstream', toxic),
      onFinish: finish,
    });
  }

  /** Wires the sockets to the links and starts both with the proxy's current toxics. */
  start(): void {
    const { client, upstream, up, down } = this;
    this.lingerZero = this.toxics.hasType('reset_peer');
    client.on('data', up.onData);
    client.on('end', up.onEnd);
    client.on('drain', down.onDrain);
    client.on('close', () => {
      up.onEnd();
      this.socketClosed();
    });
    upstream.on('data', down.onData);
    upstream.on('end', down.onEnd);
    upstream.on('drain', up.onDrain);
    upstream.on('close', () => {
      down.onEnd();
      this.socketClosed();
    });
    this.toxics.attach(up);
    this.toxics.attach(down);
    up.start(this.toxics.chain('upstream'));
    down.start(this.toxics.chain('downstream'));
  }

  /** Closes both sockets now (the proxy was disabled, deleted or the server is closing). */
  destroy(): void {
    this.up.destroy();
    this.down.destroy();
    for (const s of [this.client, this.upstream]) {
      if (this.lingerZero) reset(s);
      else s.destroy();
    }
  }

  private closeSocket(socket: Socket): void {
    if (socket.destroyed) return;
    if (this.lingerZero) {
      reset(socket);
      return;
    }
    const grace = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    grace.unref();
    socket.end(() => {
      clearTimeout(grace);
      socket.destroy();
    });
  }

  private socketClosed(): void {
    if (++this.socketsClosed < 2 || this.done) return;
    this.done = true;
    this.up.destroy();
    this.down.destroy();
    this.toxics.detach(this.up);
    this.toxics.detach(this.down);
    this.onClosed(this);
  }
}

/** Closes with an RST (SO_LINGER 0), dropping anything unsent. */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}
