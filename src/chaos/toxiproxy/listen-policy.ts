import { isIP } from 'node:net';
import { listenHost, parseHostPort } from './address.ts';
import { ApiError } from './errors.ts';

/**
Which addresses a proxy may listen on. Loopback always; anything else only when the engine was
started to allow it, so that no API call can open a port to the network on a machine whose engine
was meant to stay local (Toxiproxy itself binds whatever it is asked).
*/
export class ListenPolicy {
  private readonly any: boolean;
  private readonly hosts: ReadonlySet<string>;

  /** @param allowed hosts allowed beyond loopback; `0.0.0.0` or `::` allows every address. */
  constructor(allowed: readonly string[]) {
    const hosts = allowed.map(normalise);
    this.any = hosts.some((h) => h === '0.0.0.0' || h === '::');
    this.hosts = new Set(hosts);
  }

  /**
  The policy for an API bound to `host`: loopback only when the API is on loopback (or was given no
  host); the API's own address besides, when it was bound to another one on purpose.
  */
  static forApiHost(host: string | undefined): ListenPolicy {
    return new ListenPolicy(host === undefined || isLoopback(normalise(host)) ? [] : [host]);
  }

  /** Every address that is not loopback, listed for error messages and docs. */
  describe(): string {
    if (this.any) return 'any address';
    return ['loopback (127.0.0.0/8, ::1, localhost)', ...this.hosts].join(', ');
  }

  /**
  Throws a 400 when `listen` names a host this policy does not allow. An address that does not
  parse is let through: starting the proxy then fails with the 500 Toxiproxy answers for it.
  */
  check(listen: string): void {
    if (this.any) return;
    let host: string;
    try {
      host = normalise(listenHost(parseHostPort(listen === '' ? ':0' : listen).host));
    } catch {
      return;
    }
    if (isLoopback(host) || this.hosts.has(host)) return;
    throw new ApiError(
      `bad request body: listen ${JSON.stringify(listen)} is not a loopback address, and this engine lets proxies listen only on ${this.describe()}; to expose proxies beyond this machine, start it with --host naming that address (or 0.0.0.0 for all)`,
      400,
    );
  }
}

/** Whether `host` (an address or name, IPv6 in brackets or not) is a loopback one. */
export function isLoopbackHost(host: string): boolean {
  return isLoopback(normalise(host));
}

function normalise(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice('::ffff:'.length) : host;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(host) === 6 && /^(0{0,4}:){7}0{0,3}1$|^::1$/.test(host);
}
