import { AsyncLocalStorage } from 'node:async_hooks';
import { Proxy as ClientProxy, Toxic as ClientToxic, Toxiproxy, ToxiproxyError } from 'toxiproxy-node-client';
import { bearerHeader } from '../auth/run-credential.ts';
import { MeshproofError } from '../errors.ts';

/**
The driver meshproof uses for L4 faults. It speaks to any Toxiproxy 2.x server, meshproof's own
engine or the real one, through `toxiproxy-node-client`, and relies on nothing the real server
lacks. It works around the client's gaps:

- no timeout and no way to pass an AbortSignal: every call races a timer, and the driver threads an
  AbortSignal into the client's single fetch step (see `threadSignal`) so a call that times out is
  really cancelled, not left running;
- errors carry only "Request failed with status code N" (no server message): the status is read
  back out of that text into `ToxiproxyDriverError.status`;
- `update()` needs enabled, listen and upstream together: enabling or disabling reads the proxy first;
- no call lists a proxy's toxics: the driver uses the client's own HTTP helper on
  `GET /proxies/{name}/toxics`, an endpoint every 2.x server has;
- names are put into URLs unencoded: the driver refuses names that would break a URL.

Real Toxiproxy's API is known to hang under load while toxics are removed (Toxiproxy issues #159,
#412, #558), so teardown falls back to `POST /reset` when removing things one by one fails or times out.
*/
export interface ToxiproxyDriverOptions {
  /** URL of the Toxiproxy API, e.g. `http://127.0.0.1:8474`. */
  url: string;
  /**
  Milliseconds any one call may take before it is abandoned (and its request aborted).
  @default 5000
  */
  timeoutMs?: number;
  /**
  A credential every call carries as `Authorization: Bearer <credential>`: a run's own engine
  refuses writes without the run's. A real Toxiproxy ignores the header.
  @default none
  */
  credential?: string;
}

export type ToxicStream = 'upstream' | 'downstream';
export type ToxicKind = 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';

export interface ProxySpec {
  name: string;
  upstream: string;
  /**
  Where the proxy listens.
  @default '127.0.0.1:0' (a free port; the returned info carries the real one)
  */
  listen?: string;
  /** @default true */
  enabled?: boolean;
}

export interface ProxyInfo {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  /** Host and port parsed from `listen`, ready to connect to. */
  host: string;
  port: number;
}

export interface ToxicSpec {
  type: ToxicKind;
  /** @default `${type}_${stream}` (Toxiproxy's default) */
  name?: string;
  /** upstream: client → server; downstream: server → client. @default 'downstream' */
  stream?: ToxicStream;
  /** Probability, per connection, that the toxic applies. @default 1 */
  toxicity?: number;
  attributes: Record<string, number>;
}

export interface ToxicInfo {
  name: string;
  type: string;
  stream: string;
  toxicity: number;
  attributes: Record<string, number>;
}

export interface TeardownReport {
  /** Proxies deleted. */
  removed: string[];
  /** Whether removing things one by one failed and `POST /reset` cleared every toxic instead. */
  fellBackToReset: boolean;
  /** What went wrong before the fallback, one line each. */
  problems: string[];
}

/** A Toxiproxy call failed or timed out. `status` is the HTTP status when the server answered one. */
export class ToxiproxyDriverError extends MeshproofError {
  readonly operation: string;
  readonly status: number | undefined;
  readonly timedOut: boolean;
  constructor(operation: string, message: string, options: { status?: number; timedOut?: boolean; cause?: unknown } = {}) {
    super('MESHPROOF_FAULT_INJECTION_FAILED', `${operation}: ${message}`, { cause: options.cause });
    this.name = 'ToxiproxyDriverError';
    this.operation = operation;
    this.status = options.status;
    this.timedOut = options.timedOut ?? false;
  }
}

const STATUS_HINTS: Record<number, string> = {
  400: 'bad request (an invalid field, stream or toxic type)',
  403: 'forbidden (a browser User-Agent?)',
  404: 'not found',
  409: 'already exists',
  500: 'server error (for a proxy: its listen address may be in use)',
  503: 'the server timed out handling it',
};

/** Characters the client would put into a URL path unencoded and break it. */
const UNSAFE_NAME = /[\s/?#%\\]/;

export class ToxiproxyDriver implements Disposable {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly client: Toxiproxy;
  private readonly currentSignal = new AsyncLocalStorage<AbortSignal>();
  private readonly inflight = new Set<AbortController>();
  private closed = false;

  constructor(options: ToxiproxyDriverOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.client = new Toxiproxy(this.url);
    threadSignal(this.client, () => this.currentSignal.getStore(), options.credential ? bearerHeader(options.credential) : {});
  }

  /** The server's version string, e.g. "2.12.0" or "2.12.0-meshproof". */
  async version(): Promise<string> {
    const text = await this.call('get version', () => this.client.getVersion());
    try {
      return String((JSON.parse(text) as { version: unknown }).version);
    } catch {
      return text.trim(); // Toxiproxy before 2.7 answered plain text
    }
  }

  async createProxy(spec: ProxySpec): Promise<ProxyInfo> {
    checkName('proxy', spec.name);
    const body = { name: spec.name, upstream: spec.upstream, listen: spec.listen ?? '127.0.0.1:0', enabled: spec.enabled ?? true };
    const proxy = await this.call(`create proxy "${spec.name}"`, () => this.client.createProxy(body));
    return proxyInfo(proxy);
  }

  /**
  Creates or replaces proxies in one call (a proxy whose listen and upstream are unchanged is kept).
  Note: with a listen port of 0 the proxy always differs from the running one, so it is replaced.
  */
  async populate(specs: ProxySpec[]): Promise<ProxyInfo[]> {
    // Toxiproxy answers `"proxies": null` for an empty list, which the client cannot iterate.
    if (specs.length === 0) return [];
    for (const s of specs) checkName('proxy', s.name);
    const body = specs.map((s) => ({ name: s.name, upstream: s.upstream, listen: s.listen ?? '127.0.0.1:0', enabled: s.enabled ?? true }));
    const proxies = await this.call('populate proxies', () => this.client.populate(body));
    return Object.values(proxies).map(proxyInfo);
  }

  async getProxy(name: string): Promise<ProxyInfo> {
    checkName('proxy', name);
    return proxyInfo(await this.call(`get proxy "${name}"`, () => this.client.get(name)));
  }

  async listProxies(): Promise<ProxyInfo[]> {
    const all = await this.call('list proxies', () => this.client.getAll());
    return Object.values(all).map(proxyInfo);
  }

  /** Takes a proxy down (new connects refused, open ones closed) or brings it back. */
  async setEnabled(name: string, enabled: boolean): Promise<ProxyInfo> {
    const current = await this.getProxy(name);
    const proxy = this.clientProxy(current);
    const updated = await this.call(`${enabled ? 'enable' : 'disable'} proxy "${name}"`, () =>
      proxy.update({ enabled, listen: current.listen, upstream: current.upstream }),
    );
    return proxyInfo(updated);
  }

  async removeProxy(name: string): Promise<void> {
    checkName('proxy', name);
    const proxy = this.clientProxy({ name, listen: '', upstream: '', enabled: false });
    await this.call(`delete proxy "${name}"`, () => proxy.remove());
  }

  async addToxic(proxyName: string, spec: ToxicSpec): Promise<ToxicInfo> {
    checkName('proxy', proxyName);
    const stream = spec.stream ?? 'downstream';
    const name = spec.name ?? `${spec.type}_${stream}`;
    checkName('toxic', name);
    const proxy = this.clientProxy({ name: proxyName, listen: '', upstream: '', enabled: true });
    const body = { name, type: spec.type, stream, toxicity: spec.toxicity ?? 1, attributes: spec.attributes };
    const toxic = await this.call(`add ${spec.type} toxic "${name}" to proxy "${proxyName}"`, () => proxy.addToxic(body));
    return toxicInfo(toxic.toJson());
  }

  /** Changes a toxic's attributes (merged over the current ones) and/or toxicity. */
  async updateToxic(proxyName: string, toxicName: string, change: { attributes?: Record<string, number>; toxicity?: number }): Promise<ToxicInfo> {
    checkName('proxy', proxyName);
    checkName('toxic', toxicName);
    const proxy = this.clientProxy({ name: proxyName, listen: '', upstream: '', enabled: true });
    const what = `update toxic "${toxicName}" of proxy "${proxyName}"`;
    // The client's update sends every field; read the toxic first so unchanged ones stay as they are.
    const current = await this.call(what, () => proxy.getToxic<Record<string, number>>(toxicName));
    const body = { ...current.toJson(), attributes: { ...current.attributes, ...change.attributes }, toxicity: change.toxicity ?? current.toxicity };
    const updated = await this.call(what, () => current.update(body));
    return toxicInfo(updated.toJson());
  }

  async removeToxic(proxyName: string, toxicName: string): Promise<void> {
    checkName('proxy', proxyName);
    checkName('toxic', toxicName);
    const proxy = this.clientProxy({ name: proxyName, listen: '', upstream: '', enabled: true });
    const toxic = new ClientToxic(proxy.api, proxy.getPath(), { name: toxicName, type: 'latency', stream: 'downstream', toxicity: 1, attributes: {} });
    await this.call(`remove toxic "${toxicName}" from proxy "${proxyName}"`, () => toxic.remove());
  }

  async listToxics(proxyName: string): Promise<ToxicInfo[]> {
    checkName('proxy', proxyName);
    const url = `${this.url}/proxies/${proxyName}/toxics`;
    const res = await this.call(`list toxics of proxy "${proxyName}"`, () => this.client.getApi().get<ToxicInfo[]>(url));
    return (res.data ?? []).map(toxicInfo);
  }

  /** POST /reset: every proxy enabled, every toxic removed; the proxies stay. */
  async reset(): Promise<void> {
    await this.call('reset', () => this.client.reset());
  }

  /**
  Removes every toxic and re-enables the given proxies (default: all). If that fails or times out,
  falls back to `POST /reset`, which clears every proxy at once; throws only if that fails too.
  */
  async clearFaults(proxyNames?: string[]): Promise<TeardownReport> {
    const problems: string[] = [];
    try {
      const names = proxyNames ?? (await this.listProxies()).map((p) => p.name);
      for (const name of names) {
        for (const t of await ignoreNotFound(this.listToxics(name), [])) await ignoreNotFound(this.removeToxic(name, t.name), undefined);
        const p = await ignoreNotFound(this.getProxy(name), undefined);
        if (p !== undefined && !p.enabled) await this.setEnabled(name, true);
      }
      return { removed: [], fellBackToReset: false, problems };
    } catch (err) {
      problems.push((err as Error).message);
      await this.resetOrThrow(problems);
      return { removed: [], fellBackToReset: true, problems };
    }
  }

  /**
  End of a run: clears every fault (falling back to `/reset`) and deletes the given proxies. A proxy
  that cannot be deleted is reported in `problems`, not thrown: with the faults cleared it is harmless.
  */
  async teardown(proxyNames: string[]): Promise<TeardownReport> {
    const report = await this.clearFaults(proxyNames);
    for (const name of proxyNames) {
      try {
        await ignoreNotFound(this.removeProxy(name), undefined);
        report.removed.push(name);
      } catch (err) {
        report.problems.push((err as Error).message);
      }
    }
    return report;
  }

  /** Aborts every call in flight; later calls fail at once. */
  close(): void {
    this.closed = true;
    for (const c of this.inflight) c.abort(new Error('driver closed'));
    this.inflight.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private async resetOrThrow(problems: string[]): Promise<void> {
    try {
      await this.reset();
    } catch (err) {
      problems.push((err as Error).message);
      throw new ToxiproxyDriverError('clear faults', `removing faults failed and so did the /reset fallback:\n  ${problems.join('\n  ')}`, { cause: err });
    }
  }

  private clientProxy(p: { name: string; listen: string; upstream: string; enabled: boolean }): ClientProxy {
    return new ClientProxy(this.client, { ...p, toxics: [] });
  }

  /** Runs one client call with a deadline; the call's fetch is aborted when the deadline passes. */
  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new ToxiproxyDriverError(operation, 'the driver is closed');
    const controller = new AbortController();
    this.inflight.add(controller);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new ToxiproxyDriverError(operation, `no answer from Toxiproxy at ${this.url} within ${this.timeoutMs}ms`, { timedOut: true });
        controller.abort(err);
        reject(err);
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([this.currentSignal.run(controller.signal, fn), deadline]);
    } catch (err) {
      throw this.explain(operation, err);
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
    }
  }

  private explain(operation: string, err: unknown): ToxiproxyDriverError {
    if (err instanceof ToxiproxyDriverError) return err;
    const message = (err as Error)?.message ?? String(err);
    const status = /status code (\d{3})/.exec(message)?.[1];
    if (status !== undefined) {
      const code = Number(status);
      return new ToxiproxyDriverError(operation, `Toxiproxy answered ${code}${STATUS_HINTS[code] ? ` (${STATUS_HINTS[code]})` : ''}`, { status: code, cause: err });
    }
    if (this.closed) return new ToxiproxyDriverError(operation, 'the driver was closed', { cause: err });
    const kind = err instanceof ToxiproxyError ? '' : ` (${(err as Error)?.name ?? 'error'})`;
    return new ToxiproxyDriverError(operation, `cannot reach Toxiproxy at ${this.url}: ${message}${kind}`, { cause: err });
  }
}

/**
The client's HTTP helper sends every request through one method, `doFetch(url, init)` (private in
its types, an ordinary method at runtime). Wrapping it on this client's instance adds the signal of
the call in progress, so a timed-out call aborts its request, and `headers` (the run's credential)
to every request, since the client has no option for either. Proxy and Toxic objects share that
instance. If a future client drops the method, calls still time out (the race); only the request is
left to finish on its own (and a run's engine refuses the writes: no credential). Returns whether
the method could be wrapped.
*/
function threadSignal(client: Toxiproxy, current: () => AbortSignal | undefined, headers: Record<string, string>): boolean {
  const api = client.getApi() as unknown as { doFetch?: (url: string, init: RequestInit) => Promise<Response> };
  const original = api.doFetch;
  if (typeof original !== 'function') return false;
  const extra = Object.keys(headers).length > 0;
  api.doFetch = function (this: unknown, url: string, init: RequestInit): Promise<Response> {
    const signal = current();
    const withHeaders = extra ? { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...headers } } : init;
    return original.call(this, url, signal === undefined ? withHeaders : { ...withHeaders, signal });
  };
  return true;
}

async function ignoreNotFound<T>(p: Promise<T>, fallback: T): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ToxiproxyDriverError && err.status === 404) return fallback;
    throw err;
  }
}

function checkName(kind: string, name: string): void {
  if (name === '' || UNSAFE_NAME.test(name)) {
    throw new MeshproofError('MESHPROOF_INTERNAL', `invalid ${kind} name ${JSON.stringify(name)}: it goes into a URL unencoded, so it must not be empty or contain spaces, /, ?, #, % or \\`);
  }
}

function proxyInfo(p: { name: string; listen: string; upstream: string; enabled: boolean }): ProxyInfo {
  const colon = p.listen.lastIndexOf(':');
  const host = p.listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { name: p.name, listen: p.listen, upstream: p.upstream, enabled: p.enabled, host, port: Number(p.listen.slice(colon + 1)) };
}

function toxicInfo(t: { name: string; type: string; stream: string; toxicity: number; attributes: unknown }): ToxicInfo {
  return { name: t.name, type: t.type, stream: t.stream, toxicity: t.toxicity, attributes: { ...(t.attributes as Record<string, number>) } };
}
