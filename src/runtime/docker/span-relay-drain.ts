import type Docker from 'dockerode';
import type { HeldExport } from './entry/otlp-relay.ts';
import { bearerHeader } from '../../auth/run-credential.ts';
import { LABEL } from './labels.ts';

export interface SpanRelayDrain {
  /**
  The end of a traced run, before its containers are removed: the sidecars are sent SIGTERM so that
  they export what they still hold (as the local runtime's sidecars do when they stop), and the relay
  is drained one last time once they are gone.
  */
  finish(): Promise<void>;
}

/**
Moves the spans of a Docker run from its span relay container (entry/span-relay.ts, reached through
a port published on 127.0.0.1) to the harness's OTLP receiver, every `intervalMs`: each export is
posted as the sidecar sent it (body, content type, encoding), so the receiver cannot tell it from a
local sidecar's. Telemetry never fails a run: a failed drain or post is dropped. Both the drain and
the posts carry the run's credential, which the relay and the receiver require.
*/
export function drainSpanRelay(docker: Docker, runId: string, relayUrl: string, receiverUrl: string, credential: string, intervalMs = 250): SpanRelayDrain {
  const auth = bearerHeader(credential);
  let stopped = false;
  let wake: (() => void) | null = null;

  const drainOnce = async (): Promise<void> => {
    let held: HeldExport[];
    try {
      const res = await fetch(`${relayUrl}/drain`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`the relay answered ${res.status}`);
      held = (await res.json()) as HeldExport[];
    } catch {
      return;
    }
    for (const h of held) {
      const headers: Record<string, string> = { ...auth, 'content-type': h.type };
      if (h.encoding) headers['content-encoding'] = h.encoding;
      await fetch(receiverUrl, { method: 'POST', headers, body: Buffer.from(h.body, 'base64'), signal: AbortSignal.timeout(5000) })
        .then((r) => r.arrayBuffer())
        .catch(() => {});
    }
  };

  const loop = (async () => {
    while (!stopped) {
      await drainOnce();
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, intervalMs).unref();
      });
    }
  })();

  return {
    async finish() {
      stopped = true;
      wake?.();
      await loop;
      const sidecars = await docker.listContainers({ filters: { label: [`${LABEL.run}=${runId}`, `${LABEL.role}=sidecar`] } }).catch(() => []);
      await Promise.all(sidecars.map((c) => docker.getContainer(c.Id).kill({ signal: 'SIGTERM' }).catch(() => {})));
      // A sidecar's entry exits at most 2s after SIGTERM (exitOnSignals); the exporter's last flush happens before.
      const deadline = Date.now() + 4000;
      while (Date.now() < deadline) {
        const running = await docker.listContainers({ filters: { label: [`${LABEL.run}=${runId}`, `${LABEL.role}=sidecar`] } }).catch(() => []);
        if (running.length === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await drainOnce();
    },
  };
}
