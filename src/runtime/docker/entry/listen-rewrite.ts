/**
Proxy addresses as the fault engine's container and the pods each see them. The Wire asks for
proxies on `127.0.0.1:0` and hands the address the API reports to the sidecars that dial it; in the
Docker runtime a proxy must listen on the container's network interface and be dialled by the fault
engine's name on the run's network. This translation, applied to every `listen` field of the API's
request and response bodies, makes both true without the Wire knowing it runs in containers.
*/
export interface ListenRewrite {
  /** The name other containers reach the fault engine by. */
  advertised: string;
  /** The address the proxies bind inside the container. @default '0.0.0.0' */
  bind?: string;
}

/** A request's `listen` (from the harness): loopback, empty or the advertised name → the bind address. */
export function listenIn(listen: string, r: ListenRewrite): string {
  const colon = listen.lastIndexOf(':');
  const host = colon < 0 ? '' : listen.slice(0, colon);
  const port = colon < 0 ? listen : listen.slice(colon + 1);
  if (host === '' || host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === r.advertised) return `${r.bind ?? '0.0.0.0'}:${port}`;
  return listen;
}

/** A response's `listen` (to the harness): the bind address → the advertised name. */
export function listenOut(listen: string, r: ListenRewrite): string {
  const bind = r.bind ?? '0.0.0.0';
  return listen.startsWith(`${bind}:`) ? `${r.advertised}:${listen.slice(bind.length + 1)}` : listen;
}

/** Rewrites every string field named `listen`, at any depth, of a parsed JSON body. */
export function rewriteListen(body: unknown, map: (listen: string) => string): unknown {
  if (Array.isArray(body)) return body.map((v) => rewriteListen(v, map));
  if (body && typeof body === 'object') {
    // fromEntries defines own properties: a key such as "__proto__" stays a key.
    return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, k === 'listen' && typeof v === 'string' ? map(v) : rewriteListen(v, map)]));
  }
  return body;
}
