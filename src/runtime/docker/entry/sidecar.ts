/**
The sidecar container's entry (Docker runtime). The pod's network namespace belongs to this
container; the app container joins it, so 127.0.0.1 is shared by the two, as in a Kubernetes pod.

It runs the same `Sidecar` as the local runtime. `Sidecar.start()` binds its three listeners on
127.0.0.1 on ports it picks, so this entry puts fixed ports in front of them (TCP forwarders):
- inbound on <bind>:MESHPROOF_INBOUND_PORT (default 15006), on the pod's network address: other pods
  and the fault engine dial it;
- admin on <bind>:MESHPROOF_ADMIN_PORT (default 15000), published on the host's 127.0.0.1;
- outbound on MESHPROOF_OUTBOUND_HOST:MESHPROOF_OUTBOUND_PORT (default 127.0.0.1:15001, where the app
  calls it; the ingress sets 0.0.0.0 so the load generator reaches it through a published port);
- the pod agent on <bind>:MESHPROOF_AGENT_PORT (default 15021): readiness of the sidecar and the app.
<bind> is MESHPROOF_BIND_HOST (default 0.0.0.0).

- the dedicated outbound listener of each service in MESHPROOF_UPSTREAMS (comma-separated, the
  order of `calls`) on 127.0.0.1:15101, 15102, … (upstreamPorts): a user's image's `<NAME>_URL`s
  (the ingress's, for the load target, on MESHPROOF_OUTBOUND_HOST, published on the host).

MESHPROOF_ROLE=gateway runs it as a gateway's proxy (a pod of its own: its container joins a pod
holder's namespace, pod-holder.ts, so a kill and a start keep its address); its inbound listener is
then the gateway's.

Environment, as for the local sidecar: MESHPROOF_INSTANCE, MESHPROOF_SERVICE (required),
MESHPROOF_SEED, MESHPROOF_ACCESS_LOG=1, MESHPROOF_UPSTREAMS; and MESHPROOF_APP_PORT (default 8080) for the agent.
The run's credential is in the file MESHPROOF_CREDENTIAL_FILE names (copied into this container
only, mode 0400; see credential-archive.ts): admin writes need it, and span exports present it.
The admin listener answers a loopback Host with any port, since the host reaches it through a
port Docker publishes under another number.
Once everything listens it prints `{"type":"ready","role":"sidecar","ports":{…}}` on stdout.
*/
import { SeriesRecorder } from '../../../observe/timeline.ts';
import { Sidecar } from '../../../sim/sidecar/sidecar.ts';
import { POD_PORTS, upstreamPorts } from '../pod-ports.ts';
import { receiveCredential } from '../../../auth/credential-handoff.ts';
import { exitOnSignals, fail, portEnv, requiredEnv, seedEnv } from './env.ts';
import { spanSinkFromEnv } from '../../../trace/span-sink-from-env.ts';
import { startPodAgent } from './pod-agent.ts';
import { startTcpForwarder } from './tcp-forwarder.ts';
import { LoopDelayMonitor } from '../../../util/loop-delay-monitor.ts';

const ENTRY = 'sidecar container';
const instance = requiredEnv(ENTRY, 'MESHPROOF_INSTANCE', "this pod's instance name");
const service = requiredEnv(ENTRY, 'MESHPROOF_SERVICE', "this pod's service name");
const bind = process.env.MESHPROOF_BIND_HOST || '0.0.0.0';
const outboundHost = process.env.MESHPROOF_OUTBOUND_HOST || '127.0.0.1';
const ports = {
  inbound: portEnv(ENTRY, 'MESHPROOF_INBOUND_PORT', POD_PORTS.inbound),
  outbound: portEnv(ENTRY, 'MESHPROOF_OUTBOUND_PORT', POD_PORTS.outbound),
  admin: portEnv(ENTRY, 'MESHPROOF_ADMIN_PORT', POD_PORTS.admin),
  agent: portEnv(ENTRY, 'MESHPROOF_AGENT_PORT', POD_PORTS.agent),
  app: portEnv(ENTRY, 'MESHPROOF_APP_PORT', POD_PORTS.app),
};
const accessLog = process.env.MESHPROOF_ACCESS_LOG === '1' ? (line: string) => void process.stderr.write(line + '\n') : undefined;

// Tracing, as the local sidecar's: MESHPROOF_OTLP_ENDPOINT (here the run's span relay container, see
// span-relay.ts), MESHPROOF_TRACE_SAMPLE, MESHPROOF_TRACE_MAX_PER_SECOND.
const seed = seedEnv();
let credential: string;
try {
  credential = await receiveCredential();
} catch (err) {
  fail(ENTRY, `${instance}: ${(err as Error).message}`);
}
const spans = await spanSinkFromEnv({ service, instance, seed, credential, who: `${ENTRY} ${instance}` });

const upstreams = upstreamPorts((process.env.MESHPROOF_UPSTREAMS ?? '').split(',').filter((u) => u !== ''));
const role = process.env.MESHPROOF_ROLE === 'gateway' ? 'gateway' : 'sidecar';
const sidecar = new Sidecar({ instance, service, seed, accessLog, spans, upstreams: Object.keys(upstreams), admin: { credential, hostPort: 'any' }, role, recorder: new SeriesRecorder(), loopDelay: new LoopDelayMonitor().start() });
const closers: (() => Promise<unknown>)[] = [() => sidecar.close()];
exitOnSignals(() => Promise.all(closers.map((c) => c().catch(() => {}))));

try {
  const local = await sidecar.start();
  const forwarders = await Promise.all([
    startTcpForwarder({ host: bind, port: ports.inbound, target: { host: '127.0.0.1', port: local.inbound } }),
    startTcpForwarder({ host: outboundHost, port: ports.outbound, target: { host: '127.0.0.1', port: local.outbound } }),
    startTcpForwarder({ host: bind, port: ports.admin, target: { host: '127.0.0.1', port: local.admin } }),
    // In the pod only, where the app dials them on the pod's 127.0.0.1; the ingress's, where the load generator reaches its target's.
    ...Object.entries(upstreams).map(([callee, port]) => startTcpForwarder({ host: outboundHost, port, target: { host: '127.0.0.1', port: local.upstreams![callee] } })),
  ]);
  for (const f of forwarders) closers.push(() => f.close());
  const reported = { inbound: ports.inbound, outbound: ports.outbound, admin: ports.admin, ...(Object.keys(upstreams).length > 0 ? { upstreams } : {}) };
  const agent = await startPodAgent({ host: bind, port: ports.agent, appPort: ports.app, info: { instance, service, ports: reported } });
  closers.push(() => new Promise((r) => agent.close(r)));
  process.stdout.write(JSON.stringify({ type: 'ready', role: 'sidecar', ports: reported }) + '\n');
} catch (err) {
  process.stderr.write(`${ENTRY} ${instance}: could not start: ${(err as Error).message}\n`);
  process.exit(1);
}
