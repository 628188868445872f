import type { FaultTarget } from '../../scenario/scenario.ts';
import type { TeardownReport, ToxiproxyDriver, ToxicKind, ToxicStream } from '../toxiproxy-driver.ts';
import { linksBetween, linksOf, type Link } from './link-plan.ts';

export interface WireToxic {
  type: string;
  stream: ToxicStream;
  toxicity: number;
  attributes: Record<string, number>;
}

/**
The mesh's links as fault-engine proxies, and the wire faults applied to them through the
Toxiproxy API (toxiproxy-node-client, via the driver) — exactly as with a real Toxiproxy server.
*/
export interface WireOptions {
  /**
  Prepended to every proxy name. A server shared with others (a real toxiproxy-server at
  chaos.address) gets the run's id here, so two runs, or a user's own proxies, never collide.
  @default '' (the run's own engine holds nothing else)
  */
  prefix?: string;
  /** Which engine applies the faults, added to what each fault's record says (e.g. "meshproof's engine, seed 42"). */
  engineNote?: string;
}

export class Wire {
  private readonly driver: ToxiproxyDriver;
  private readonly links: Link[];
  /** Where each link's proxy listens, by `from\0to` instance: the control plane asks for every endpoint of every push. */
  private readonly addresses = new Map<string, { host: string; port: number }>();
  private readonly via: string;

  constructor(driver: ToxiproxyDriver, links: Link[], options: WireOptions = {}) {
    this.driver = driver;
    this.via = options.engineNote ? ` (${options.engineNote})` : '';
    const prefix = options.prefix ?? '';
    this.links = links.map((l) => ({ ...l, name: prefix + l.name }));
  }

  /** The proxies' names on the server. */
  proxyNames(): string[] {
    return this.links.map((l) => l.name);
  }

  /** Creates one proxy per link in front of the callee's inbound listener. */
  async setup(inboundOf: (instance: string) => { host: string; port: number }): Promise<void> {
    if (this.links.length === 0) return;
    const created = await this.driver.populate(
      this.links.map((l) => {
        const to = inboundOf(l.toInstance);
        return { name: l.name, upstream: `${to.host}:${to.port}`, listen: '127.0.0.1:0' };
      }),
    );
    const byName = new Map(created.map((p) => [p.name, { host: p.host, port: p.port }]));
    for (const l of this.links) {
      const at = byName.get(l.name);
      if (at !== undefined) this.addresses.set(`${l.fromInstance}\u0000${l.toInstance}`, at);
    }
  }

  /** Where `fromInstance`'s sidecar dials to reach `toInstance`; undefined when there is no such link. */
  addressFor(fromInstance: string, toInstance: string): { host: string; port: number } | undefined {
    return this.addresses.get(`${fromInstance}\u0000${toInstance}`);
  }

  /** Adds the toxic (named after the fault) on every link of the target; `down` disables them instead. Returns what was done. */
  async applyToxic(fault: string, target: FaultTarget, toxic: WireToxic): Promise<string> {
    const links = linksOf(this.links, target);
    if (toxic.type === 'down') {
      await Promise.all(links.map((l) => this.driver.setEnabled(l.name, false)));
      return `${links.length} link(s) down: ${names(links)}${this.via}`;
    }
    await Promise.all(
      links.map((l) =>
        this.driver.addToxic(l.name, { name: fault, type: toxic.type as ToxicKind, stream: toxic.stream, toxicity: toxic.toxicity, attributes: toxic.attributes }),
      ),
    );
    const attrs = Object.entries(toxic.attributes).map(([k, v]) => `${k}=${v}`).join(' ');
    return `${toxic.type} toxic (${toxic.stream}${attrs ? ', ' + attrs : ''}${toxic.toxicity < 1 ? `, toxicity ${toxic.toxicity}` : ''}) on ${links.length} link(s): ${names(links)}${this.via}`;
  }

  async removeToxic(fault: string, target: FaultTarget, toxic: WireToxic): Promise<string> {
    const links = linksOf(this.links, target);
    if (toxic.type === 'down') await Promise.all(links.map((l) => this.driver.setEnabled(l.name, true)));
    else await Promise.all(links.map((l) => this.driver.removeToxic(l.name, fault)));
    return `removed from ${links.length} link(s)`;
  }

  /** Takes down every link between the two groups of instances, both ways. */
  async partition(groups: [string[], string[]], enabled: boolean): Promise<string> {
    const links = linksBetween(this.links, new Set(groups[0]), new Set(groups[1]));
    await Promise.all(links.map((l) => this.driver.setEnabled(l.name, enabled)));
    return enabled ? `${links.length} link(s) back up` : `${links.length} link(s) cut between [${groups[0].join(', ')}] and [${groups[1].join(', ')}]${this.via}`;
  }

  /** Clears every fault (falling back to /reset when the API misbehaves), so teardown starts from clean links. */
  async clear(): Promise<void> {
    await this.driver.clearFaults(this.links.map((l) => l.name)).catch(() => {});
  }

  /**
  End of the run on a server that outlives it: every fault cleared (with /reset as the fallback when
  the API hangs or fails) and every proxy of the run deleted. Never throws: what could not be done
  is in the report's `problems`.
  */
  async teardown(): Promise<TeardownReport> {
    try {
      return await this.driver.teardown(this.proxyNames());
    } catch (err) {
      return { removed: [], fellBackToReset: true, problems: [(err as Error).message] };
    }
  }
}

function names(links: Link[]): string {
  const shown = links.slice(0, 4).map((l) => `${l.fromInstance}→${l.toInstance}`);
  return shown.join(', ') + (links.length > 4 ? ` and ${links.length - 4} more` : '');
}
