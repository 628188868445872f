import { ApiError, badRequestBody, describeJson, internalError, missingField, proxyAlreadyExists, proxyNotFound } from './errors.ts';
import type { Proxy } from './proxy.ts';

export interface ProxySpec {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

/** The outcome of POST /populate: the proxies applied, and the error that stopped it, if any. */
export interface PopulateResult {
  proxies: Proxy[];
  error?: ApiError;
}

/** Every proxy of a server, by name (Toxiproxy's ProxyCollection). */
export class ProxyCollection {
  private readonly proxies = new Map<string, Proxy>();
  private readonly create: (spec: ProxySpec) => Proxy;
  private readonly validate: (spec: ProxySpec) => void;

  /** @param validate throws an ApiError for a spec the server refuses (its name, where it listens). */
  constructor(create: (spec: ProxySpec) => Proxy, validate: (spec: ProxySpec) => void = () => {}) {
    this.create = create;
    this.validate = validate;
  }

  /** Sorted by name, as Go's JSON encoder orders a map. */
  all(): Proxy[] {
    return [...this.proxies.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): Proxy {
    const proxy = this.proxies.get(name);
    if (proxy === undefined) throw proxyNotFound();
    return proxy;
  }

  /** POST /proxies: 409 if the name is taken; the proxy is kept only if it started (when asked to). */
  async add(spec: ProxySpec): Promise<Proxy> {
    this.validate(spec);
    if (this.proxies.has(spec.name)) throw proxyAlreadyExists();
    const proxy = this.create(spec);
    if (spec.enabled) await proxy.start();
    if (this.proxies.has(spec.name)) {
      proxy.stop();
      throw proxyAlreadyExists();
    }
    this.proxies.set(spec.name, proxy);
    return proxy;
  }

  /**
  POST /populate: creates each proxy in order; one that already exists with the same listen and
  upstream is kept as it is (toxics, connections and all), one that differs is stopped and replaced.
  Stops at the first error, keeping what was applied before it, as Toxiproxy 2.12 does.
  */
  async populate(body: unknown): Promise<PopulateResult> {
    if (!Array.isArray(body)) throw badRequestBody(`expected a JSON array of proxies, got ${describeJson(body)}`);
    const specs: ProxySpec[] = [];
    body.forEach((item: unknown, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw badRequestBody(`proxy ${i + 1} must be an object, got ${describeJson(item)}`);
      const spec = readProxySpec(item as Record<string, unknown>, true);
      if (spec.name === '') throw missingField(`name at proxy ${i + 1}`);
      if (spec.upstream === '') throw missingField(`upstream at proxy ${i + 1}`);
      this.validate(spec);
      specs.push(spec);
    });
    const applied: Proxy[] = [];
    for (const spec of specs) {
      try {
        applied.push(await this.addOrReplace(spec));
      } catch (err) {
        return { proxies: applied, error: err instanceof ApiError ? err : internalError((err as Error).message) };
      }
    }
    return { proxies: applied };
  }

  /** A proxy's new listen, upstream and enabled (PATCH), checked as a new proxy's would be. */
  async update(name: string, input: Record<string, unknown>): Promise<Proxy> {
    const proxy = this.get(name);
    const spec = readProxySpec({ listen: proxy.listen, upstream: proxy.upstream, enabled: proxy.enabled, ...definedOnly(input), name }, proxy.enabled);
    this.validate(spec);
    await proxy.update(spec);
    return proxy;
  }

  remove(name: string): void {
    const proxy = this.get(name);
    proxy.stop();
    this.proxies.delete(name);
  }

  /** POST /reset: every proxy enabled again and every toxic removed; the proxies stay. */
  async reset(): Promise<void> {
    for (const proxy of this.all()) {
      await proxy.start();
      proxy.toxics.reset();
    }
  }

  /** Stops every proxy and forgets them (the server is closing). */
  clear(): void {
    for (const proxy of this.proxies.values()) proxy.stop();
    this.proxies.clear();
  }

  private async addOrReplace(spec: ProxySpec): Promise<Proxy> {
    const existing = this.proxies.get(spec.name);
    if (existing !== undefined) {
      if (existing.listen === spec.listen && existing.upstream === spec.upstream) return existing;
      // As in Toxiproxy: if the replacement then fails to start, the old one stays, stopped.
      existing.stop();
    }
    const proxy = this.create(spec);
    if (spec.enabled) await proxy.start();
    this.proxies.set(spec.name, proxy);
    return proxy;
  }
}

/**
Reads name, listen, upstream and enabled from a JSON object, checking their types (Go's decoder
rejects a number where a string belongs). Missing strings read as "".
*/
export function readProxySpec(input: Record<string, unknown>, enabledByDefault: boolean): ProxySpec {
  const str = (key: string): string => {
    const v = input[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw badRequestBody(`${key} must be a string, got ${describeJson(v)}`);
    return v;
  };
  const e = input.enabled;
  if (e !== undefined && e !== null && typeof e !== 'boolean') throw badRequestBody(`enabled must be true or false, got ${describeJson(e)}`);
  return { name: str('name'), listen: str('listen'), upstream: str('upstream'), enabled: typeof e === 'boolean' ? e : enabledByDefault };
}

function definedOnly(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['listen', 'upstream', 'enabled']) if (input[key] !== undefined && input[key] !== null) out[key] = input[key];
  return out;
}
