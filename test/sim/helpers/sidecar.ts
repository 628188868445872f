import type { TestContext } from 'node:test';
import { Sidecar, type SidecarOptions } from '../../../src/sim/sidecar/sidecar.ts';
import type { SidecarPorts } from '../../../src/sim/sidecar-config.ts';

/** Starts an in-process sidecar and registers its close with the test. */
export async function startSidecar(t: TestContext, options: Partial<SidecarOptions> = {}): Promise<{ sidecar: Sidecar; ports: SidecarPorts }> {
  const sidecar = new Sidecar({ instance: 'checkout-0', service: 'checkout', ...options });
  t.after(() => sidecar.close());
  const ports = await sidecar.start();
  return { sidecar, ports };
}

/** Registers a server's close with the test and returns it. */
export function closing<T extends { close(): Promise<void> }>(t: TestContext, s: T): T {
  t.after(() => s.close());
  return s;
}

/** Counter value from the sidecar's /stats (0 when absent). */
export function counter(sidecar: Sidecar, name: string): number {
  return sidecar.stats().counters[name] ?? 0;
}
