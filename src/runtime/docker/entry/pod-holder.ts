/**
The pod holder's entry (Docker runtime): the container that owns a pod's network namespace when the
pod's workload is not an app behind a sidecar — a gateway's proxy, an external service's app — so
the workload's container can be killed and started again in the same namespace, at the same address
and with the same published ports, as a container restarts in its Kubernetes pod (whose pause
container plays this part). It holds the namespace and does nothing else, except:
- with MESHPROOF_AGENT_PORT set, the pod agent on <bind>:that port (the readiness of the app on
  127.0.0.1:MESHPROOF_APP_PORT, default 8080), for a workload that has no agent of its own.
Environment: MESHPROOF_INSTANCE, MESHPROOF_SERVICE (for the agent's answers), MESHPROOF_BIND_HOST.
*/
import { POD_PORTS } from '../pod-ports.ts';
import { exitOnSignals, fail, portEnv } from './env.ts';
import { startPodAgent } from './pod-agent.ts';

const ENTRY = 'pod holder';
const bind = process.env.MESHPROOF_BIND_HOST || '0.0.0.0';
const closers: (() => Promise<unknown>)[] = [];
exitOnSignals(() => Promise.all(closers.map((c) => c().catch(() => {}))));
// Nothing else keeps the event loop alive when there is no agent: the namespace needs a process.
const hold = setInterval(() => {}, 1 << 30);
closers.push(async () => clearInterval(hold));

if (process.env.MESHPROOF_AGENT_PORT) {
  try {
    const agent = await startPodAgent({
      host: bind,
      port: portEnv(ENTRY, 'MESHPROOF_AGENT_PORT', POD_PORTS.agent),
      appPort: portEnv(ENTRY, 'MESHPROOF_APP_PORT', POD_PORTS.app),
      info: { instance: process.env.MESHPROOF_INSTANCE ?? '', service: process.env.MESHPROOF_SERVICE ?? '' },
    });
    closers.push(() => new Promise((r) => agent.close(r)));
  } catch (err) {
    fail(ENTRY, `could not start its agent: ${(err as Error).message}`);
  }
}
process.stdout.write(JSON.stringify({ type: 'ready', role: 'holder' }) + '\n');
