/**
The contract between meshproof and a user's own program (`command:` on the local runtime, `image:` on
Docker): the environment variables meshproof sets for it, and the `${...}` references a scenario may
write in `env` values and in an argv `command`. One place, so the validator, both runtimes and the
docs (docs/own-services.md) agree.
*/

/** The variable naming where a called service is reached: `payments` → `PAYMENTS_URL`, `order-db` → `ORDER_DB_URL`. */
export function urlVariable(service: string): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_URL`;
}

/** Variables whose value is per instance and known only at start; a scenario may refer to them with `${NAME}`. */
export const INSTANCE_VARIABLES = ['PORT', 'MESHPROOF_INSTANCE', 'MESHPROOF_SERVICE', 'MESHPROOF_SIDECAR', 'MESHPROOF_RUN_ID'] as const;

/** What `${...}` may name for a service calling `calls`, in the order the docs list them. */
export function referableVariables(calls: readonly string[]): string[] {
  return [...INSTANCE_VARIABLES, ...[...new Set(calls)].map(urlVariable)];
}

/**
Why a user may not set this variable in `env`, or null when they may. meshproof's own variables
(PORT, MESHPROOF_*, each callee's URL) are what the mesh depends on; HTTP_PROXY and NO_PROXY may be
overridden (or emptied) on purpose.
*/
export function reservedVariable(name: string, calls: readonly string[]): string | null {
  if (name === 'PORT') return 'meshproof sets it to the port the program must listen on';
  if (name.startsWith('MESHPROOF_')) return 'variables starting with MESHPROOF_ are set by meshproof';
  const callee = [...new Set(calls)].find((c) => urlVariable(c) === name);
  if (callee) return `meshproof sets it to where ${callee} is reached through the sidecar`;
  return null;
}

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'ref'; name: string; offset: number };

/**
Splits a value into text and `${NAME}` references. `$$` is a literal `$`; any other `$` stays as it
is (a shell expands it in a command line). Returns a problem for `${` without a valid name and `}`.
*/
export function parseTemplate(value: string): { parts: TemplatePart[]; problem: { offset: number; message: string } | null } {
  const parts: TemplatePart[] = [];
  let text = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== '$') {
      text += c;
      continue;
    }
    if (value[i + 1] === '$') {
      text += '$';
      i++;
      continue;
    }
    if (value[i + 1] !== '{') {
      text += c;
      continue;
    }
    const end = value.indexOf('}', i + 2);
    const name = end < 0 ? '' : value.slice(i + 2, end);
    if (end < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      return { parts, problem: { offset: i, message: `"${value.slice(i, end < 0 ? undefined : end + 1)}" is not a reference: write \${NAME} (or $$ for a literal $)` } };
    }
    if (text) parts.push({ kind: 'text', text });
    text = '';
    parts.push({ kind: 'ref', name, offset: i });
    i = end;
  }
  if (text) parts.push({ kind: 'text', text });
  return { parts, problem: null };
}

/** A template with its references filled from `values`; a name not in `values` is left as written. */
export function fillTemplate(value: string, values: Readonly<Record<string, string>>): string {
  const { parts } = parseTemplate(value);
  return parts.map((p) => (p.kind === 'text' ? p.text : (values[p.name] ?? `\${${p.name}}`))).join('');
}

/** Hosts a program's HTTP client must reach directly, never through the sidecar given as HTTP_PROXY. */
export const NO_PROXY = 'localhost,127.0.0.1,::1';

/** Where one instance of a user's program is and what it reaches: the inputs of its environment. */
export interface AppAddresses {
  runId: string;
  instance: string;
  service: string;
  /** The port the program listens on (127.0.0.1 locally; every address of the pod in Docker). */
  port: number;
  /** The sidecar's Host-routed outbound listener. */
  sidecar: { host: string; port: number };
  /** The sidecar's dedicated outbound listener per called service. */
  upstreams: Readonly<Record<string, { host: string; port: number }>>;
}

/**
The environment meshproof gives a user's program, before the scenario's own `env` (which is filled
from these and laid on top): PORT; MESHPROOF_INSTANCE, _SERVICE, _RUN_ID; MESHPROOF_SIDECAR
(host:port of the Host-routed outbound); `<NAME>_URL` per called service (its dedicated listener);
HTTP_PROXY/http_proxy (the Host-routed outbound, which takes proxy-form requests) with
NO_PROXY/no_proxy for loopback, so the `<NAME>_URL`s are dialled directly; and PYTHONUNBUFFERED=1:
a Python program's stdout is a pipe here, which Python would buffer, so a `print` would reach the
log (and a `log:` readiness check) only when the buffer fills.
*/
export function appEnvironment(a: AppAddresses, env: Readonly<Record<string, string>> = {}): Record<string, string> {
  const sidecar = `${a.sidecar.host}:${a.sidecar.port}`;
  const out: Record<string, string> = {
    PORT: String(a.port),
    MESHPROOF_INSTANCE: a.instance,
    MESHPROOF_SERVICE: a.service,
    MESHPROOF_RUN_ID: a.runId,
    MESHPROOF_SIDECAR: sidecar,
    HTTP_PROXY: `http://${sidecar}`,
    http_proxy: `http://${sidecar}`,
    NO_PROXY,
    no_proxy: NO_PROXY,
    PYTHONUNBUFFERED: '1',
  };
  for (const [service, at] of Object.entries(a.upstreams)) out[urlVariable(service)] = `http://${at.host}:${at.port}`;
  const own = { ...out };
  for (const [name, value] of Object.entries(env)) out[name] = fillTemplate(value, own);
  return out;
}
