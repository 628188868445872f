import { isIP } from 'node:net';

/** A TCP address split the way Go's net.SplitHostPort splits it. */
export interface HostPort {
  host: string;
  port: number;
}

/**
Parses `host:port`, `[v6]:port` or `:port`. Throws an Error whose message reads like Go's (the API
answers 500 with it, as Toxiproxy does when `net.Listen` rejects an address).
*/
export function parseHostPort(address: string): HostPort {
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) throw new Error(`address ${address}: missing ']' in address`);
    host = address.slice(1, close);
    if (address[close + 1] !== ':') throw new Error(`address ${address}: missing port in address`);
    portText = address.slice(close + 2);
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0) throw new Error(`address ${address}: missing port in address`);
    host = address.slice(0, colon);
    if (host.includes(':')) throw new Error(`address ${address}: too many colons in address`);
    portText = address.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new Error(`address ${address}: invalid port`);
  return { host, port: Number(portText) };
}

/**
Where a proxy listens. An empty host (`:8080`, or no `listen` at all) means every interface to Go;
here it means 127.0.0.1, so nothing is exposed beyond the machine unless someone asks for
`0.0.0.0` or `[::]` by name. `localhost` is pinned to 127.0.0.1, as Go resolves it, because
Node may pick ::1 first.
*/
export function listenHost(host: string): string {
  if (host === '' || host === 'localhost') return '127.0.0.1';
  return host;
}

export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
