/**
Pod host process entry, spawned by the local runtime when pod hosting is on
(src/runtime/local/pod-host.ts): many sidecars and built-in apps in one event loop, instead of
two Node processes per pod (~60 MB and ~80 ms of CPU each to boot).

Each hosted sidecar is the same `Sidecar` a sidecar process runs, with its own listeners on
127.0.0.1, its own admin port (locked with the run's credential, as every sidecar's), its own
config and stats; each built-in app is the same `BuiltinService`. So the control plane, the
collector and the reports see no difference. What they share is the event loop (a hot pod delays
its neighbours) and the loop-delay monitor that measures it.

It gets the run's credential over IPC first, sends `{type: 'ready', role: 'host'}`, then starts a
pod part per HostRequest and answers each with `{type: 'hosted', id, message}`, the ready message
that part's own process would have sent (or `failed`). It closes everything and exits when the IPC
channel disconnects (the harness is gone) or on SIGTERM/SIGINT, as every child does. Environment:
`MESHPROOF_RUN_ID`, and the tracing and access-log variables of src/sim/sidecar/main.ts.
*/
import { receiveCredential } from '../../auth/credential-handoff.ts';
import type { ChildMessage, HostRequest } from '../../contract/child-message.ts';
import { runChild } from '../../process/child-lifecycle.ts';
import { SeriesRecorder } from '../../observe/timeline.ts';
import { instanceSpec, type ServiceSpec } from '../../scenario/scenario.ts';
import { spanSinkFromEnv } from '../../trace/span-sink-from-env.ts';
import { LoopDelayMonitor } from '../../util/loop-delay-monitor.ts';
import { BuiltinService } from '../builtin/service.ts';
import { Sidecar } from '../sidecar/sidecar.ts';

const HOST = '127.0.0.1';
const accessLog = process.env.MESHPROOF_ACCESS_LOG === '1' ? (line: string) => void process.stderr.write(line + '\n') : undefined;

const credential = await receiveCredential().catch((err: Error & { disconnected?: boolean }) => {
  if (!err.disconnected) process.stderr.write(`pod host: could not start: ${err.message}\n`);
  process.exit(err.disconnected ? 0 : 1);
});

// One loop, one monitor: every hosted sidecar reports the delay of the loop they share.
const loopDelay = new LoopDelayMonitor().start();
const parts: { close(): Promise<void> }[] = [];
let closing = false;

async function startPart(r: HostRequest): Promise<ChildMessage> {
  if (r.type === 'host-sidecar') {
    const spans = await spanSinkFromEnv({ service: r.service, instance: r.instance, seed: r.seed, credential, who: `sidecar ${r.instance}` });
    const sidecar = new Sidecar({ instance: r.instance, service: r.service, seed: r.seed, accessLog, spans, upstreams: r.upstreams, admin: { credential }, role: 'sidecar', recorder: new SeriesRecorder(), loopDelay });
    parts.push(sidecar);
    return { type: 'ready', role: 'sidecar', ports: await sidecar.start() };
  }
  const service = new BuiltinService({ spec: instanceSpec(r.spec as ServiceSpec, r.instance), instance: r.instance, sidecar: r.sidecar, seed: r.seed, deadlines: r.deadlines });
  parts.push(service);
  return { type: 'ready', role: 'app', port: await service.start(0, HOST) };
}

function onRequest(r: HostRequest | { type?: unknown } | null): void {
  if (closing || (r?.type !== 'host-sidecar' && r?.type !== 'host-app')) return;
  const request = r as HostRequest;
  startPart(request).then(
    (message) => send({ type: 'hosted', id: request.id, message }),
    (err: unknown) => send({ type: 'hosted', id: request.id, message: { type: 'failed', why: (err as Error).message, output: [] } }),
  );
}

function send(m: ChildMessage): void {
  // The harness may be gone (its channel closes first, then this process): nothing to tell.
  if (process.connected) process.send!(m, undefined, {}, () => {});
}

await runChild({
  name: 'pod host',
  start: async () => {
    process.on('message', onRequest);
    return { type: 'ready', role: 'host' };
  },
  close: async () => {
    closing = true;
    loopDelay.stop();
    await Promise.allSettled(parts.map((p) => p.close()));
  },
});
