import type { TestContext } from 'vitest';
import { Sidecar, type SidecarOptions } from '../../../src/sim/sidecar/sidecar.ts';
import type { MeshEvent, MeshEventOf, MeshEventType } from '../../../src/contract/mesh-event.ts';
import type { SidecarPorts } from '../../../src/contract/child-message.ts';
import { SeriesRecorder } from '../../../src/observe/timeline.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { TEST_CREDENTIAL } from './credential.ts';

/** Starts an in-process sidecar and registers its close with the test. */
export async function startSidecar(t: TestContext, options: Partial<SidecarOptions> = {}): Promise<{ sidecar: Sidecar; ports: SidecarPorts }> {
  const sidecar = new Sidecar({ instance: 'checkout-0', service: 'checkout', admin: { credential: TEST_CREDENTIAL }, recorder: new SeriesRecorder({ now: options.now }), ...options });
  t.onTestFinished(() => sidecar.close());
  const ports = await sidecar.start();
  return { sidecar, ports };
}

/** Registers a server's close with the test and returns it. */
export function closing<T extends { close(): Promise<void> }>(t: TestContext, s: T): T {
  t.onTestFinished(() => s.close());
  return s;
}

/** Counter value from the sidecar's /stats (0 when absent). */
export function counter(sidecar: Sidecar, name: string): number {
  return sidecar.stats().counters[name] ?? 0;
}

/** Gauge value from the sidecar's /stats (0 when absent). */
export function gauge(sidecar: Sidecar, name: string): number {
  return sidecar.stats().gauges[name] ?? 0;
}

/** Waits until the sidecar has emitted an event of `type` (matching `where`), and returns it. */
export async function waitForEvent<T extends MeshEventType>(
  sidecar: Sidecar,
  type: T,
  options: { timeoutMs?: number; where?: (e: MeshEventOf<T>) => boolean; since?: number } = {},
): Promise<MeshEventOf<T>> {
  const { timeoutMs = 3000, where = () => true, since = 0 } = options;
  return waitFor(() => sidecar.events(since).find((e): e is MeshEventOf<T> => e.type === type && where(e as MeshEventOf<T>)), {
    timeoutMs,
    intervalMs: 5,
    describe: () => `a ${type} event from ${sidecar.instance} (events so far: ${sidecar.events(since).map((e) => e.type).join(', ') || 'none'})`,
  });
}

/** The events of one type, in order. */
export function eventsOf<T extends MeshEventType>(sidecar: Sidecar, type: T): MeshEventOf<T>[] {
  return sidecar.events(0).filter((e: MeshEvent): e is MeshEventOf<T> => e.type === type);
}
