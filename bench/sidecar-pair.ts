import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnNodeChild } from '../src/process/child-process.ts';
import { bearerHeader, newRunCredential } from '../src/auth/run-credential.ts';
import type { DestinationPolicy } from '../src/contract/mesh-policy.ts';
import type { SidecarConfig } from '../src/contract/sidecar-config.ts';
import type { SidecarPorts } from '../src/contract/child-message.ts';
import { httpJson, waitFor } from '../src/util/http-json.ts';
import type { StartedPath } from './bench-path.ts';
import type { BenchChildren } from './children.ts';
import { DEFAULT_MAX_TRACES_PER_SECOND } from '../src/trace/defaults.ts';
import type { CertificateAuthority } from '../src/security/certificate-authority.ts';
import { spiffeId } from '../src/contract/spiffe.ts';
import type { SidecarSecurity } from '../src/contract/sidecar-config.ts';

/** The sidecar under test; MESHPROOF_BENCH_SIDECAR points the bench at another build of it. */
export const DEFAULT_SIDECAR_MAIN = fileURLToPath(new URL('../src/sim/sidecar/main.ts', import.meta.url));

const HOST = '127.0.0.1';
/** The destination service name the caller routes by (the Host header the load generator sends). */
const DESTINATION = 'up';

/** No timeout, no retries: the bench measures the proxy path itself, not a policy's cost. */
const POLICY: DestinationPolicy = {
  timeoutMs: null,
  retries: null,
  loadBalancer: 'round_robin',
  connectionPool: { maxConnections: null, maxPendingRequests: null, maxRequests: null, maxRetries: null },
  outlierDetection: null,
  panicThreshold: 0,
  healthCheck: null,
  fault: null,
  locality: { enabled: false, overprovisioningFactor: 1.4 },
  split: null,
  deadlines: 'off',
};

export function sidecarScript(): string {
  return process.env.MESHPROOF_BENCH_SIDECAR ?? DEFAULT_SIDECAR_MAIN;
}

export function sidecarPresent(script = sidecarScript()): boolean {
  return existsSync(script);
}

/**
Two real sidecar processes, wired the way a mesh wires a call between two services:
load generator → caller sidecar (outbound, Host: up) → callee sidecar (inbound) → upstream.
The caller is configured as the mesh's ingress (service `client`, no app), the callee as the one
instance of service `up` whose app is the upstream.
*/
export async function startSidecarPair(options: {
  upstreamPort: number;
  children: BenchChildren;
  signal: AbortSignal;
  script?: string;
  readyTimeoutMs?: number;
  /** `traced`: both sidecars export spans to this OTLP traces URL (MESHPROOF_OTLP_ENDPOINT). @default not traced */
  tracesUrl?: string;
  /** `mtls`: the caller originates mutual TLS to a STRICT callee, with certificates from this CA. @default plaintext */
  ca?: CertificateAuthority;
}): Promise<StartedPath> {
  const { upstreamPort, children, signal, script = sidecarScript(), readyTimeoutMs = 10_000 } = options;
  // As a run sets it up, unless the bench is told another limit (MESHPROOF_TRACE_MAX_PER_SECOND=0: every request).
  const tracing: Record<string, string> = options.tracesUrl
    ? { MESHPROOF_OTLP_ENDPOINT: options.tracesUrl, MESHPROOF_TRACE_MAX_PER_SECOND: process.env.MESHPROOF_TRACE_MAX_PER_SECOND ?? String(DEFAULT_MAX_TRACES_PER_SECOND) }
    : {};

  // Handed over IPC, as the local runtime does; the config pushes carry it.
  const credential = newRunCredential();
  const start = async (instance: string, service: string, seed: number): Promise<{ pid: number; ports: SidecarPorts }> => {
    const s = await spawnNodeChild({
      name: `sidecar ${instance}`,
      script,
      env: { ...tracing, MESHPROOF_INSTANCE: instance, MESHPROOF_SERVICE: service, MESHPROOF_SEED: String(seed) },
      credential,
      readyTimeoutMs,
      signal,
    });
    children.add(s.child, `sidecar ${instance}`);
    if (s.ready.type !== 'ready' || s.ready.role !== 'sidecar') {
      throw new Error(`sidecar ${instance} sent an unexpected ready message: ${JSON.stringify(s.ready)}`);
    }
    return { pid: s.child.pid!, ports: s.ready.ports };
  };

  const [caller, callee] = await Promise.all([start('ingress', 'client', 1), start(`${DESTINATION}-0`, DESTINATION, 2)]);
  const t0 = Date.now();
  const ca = options.ca;
  const security = async (service: string, mode: SidecarSecurity['mtls']): Promise<{ security?: SidecarSecurity }> => {
    if (!ca) return {};
    const c = await ca.issue(spiffeId('cluster.local', service), 24 * 3600_000);
    return {
      security: {
        trustDomain: 'cluster.local',
        identity: { spiffeId: c.spiffeId, certChain: c.certChain, key: c.key, notBefore: c.notBefore, notAfter: c.notAfter, serial: c.serial, root: c.root },
        trustBundle: ca.trustBundle(),
        trustBundleRoots: ca.trustBundleFingerprints(),
        mtls: mode,
        authorization: [],
        clockSkewMs: 0,
      },
    };
  };
  const calleeConfig: SidecarConfig = {
    version: 1,
    service: DESTINATION,
    instance: `${DESTINATION}-0`,
    app: { host: HOST, port: upstreamPort },
    t0,
    seed: 2,
    zone: null,
    subset: 'v1',
    inbound: { rateLimit: null, fault: null },
    clusters: {},
    ...(await security(DESTINATION, 'STRICT')),
  };
  const callerConfig: SidecarConfig = {
    version: 1,
    service: 'client',
    instance: 'ingress',
    app: null,
    t0,
    seed: 1,
    zone: null,
    subset: 'v1',
    inbound: { rateLimit: null, fault: null },
    clusters: {
      [DESTINATION]: {
        policy: POLICY,
        endpoints: [{ instance: `${DESTINATION}-0`, host: HOST, port: callee.ports.inbound, healthy: true, zone: null, version: 'v1' }],
        fault: null,
        bulkhead: null,
        mtls: ca ? { spiffeId: spiffeId('cluster.local', DESTINATION) } : null,
      },
    },
    ...(await security('client', 'PERMISSIVE')),
  };
  await Promise.all([
    httpJson(`http://${HOST}:${callee.ports.admin}/config`, { method: 'POST', body: calleeConfig, headers: bearerHeader(credential), timeoutMs: 3000 }),
    httpJson(`http://${HOST}:${caller.ports.admin}/config`, { method: 'POST', body: callerConfig, headers: bearerHeader(credential), timeoutMs: 3000 }),
  ]);
  for (const [name, s] of [
    ['caller', caller],
    ['callee', callee],
  ] as const) {
    await waitFor(
      async () => {
        if (signal.aborted) throw new Error('interrupted');
        const res = await fetch(`http://${HOST}:${s.ports.admin}/ready`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        return res.status === 200 ? true : undefined;
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 50, describe: () => `GET /ready = 200 on the ${name} sidecar (admin port ${s.ports.admin})` },
    );
  }

  const pids = [caller.pid, callee.pid];
  return {
    id: options.tracesUrl ? 'traced' : ca ? 'mtls' : 'sidecar',
    calleeInbound: callee.ports.inbound,
    url: `http://${HOST}:${caller.ports.outbound}/`,
    host: DESTINATION,
    proxyPids: () => pids,
    describe: `2 sidecar processes (${script.replace(process.cwd() + '/', '')}), node ${process.version}${ca ? ', mutual TLS between them (ECDSA P-256 certificates, TLS 1.3, keep-alive connections)' : ''}${options.tracesUrl ? `, each exporting 2 spans per traced request (OTLP/HTTP JSON, at most ${tracing.MESHPROOF_TRACE_MAX_PER_SECOND === '0' ? 'every request' : `${tracing.MESHPROOF_TRACE_MAX_PER_SECOND} traced requests/s`}) to a receiver process not counted here` : ''}`,
  };
}
