import type { TimerHandle } from '../../util/clock.ts';

/**
Lets a periodic policy timer (outlier sweep, health check) not keep the process alive on its own:
a sidecar's listeners do that, and a sidecar that was not closed in a test must not hang it.
A no-op for ManualClock handles.
*/
export function unrefTimer(handle: TimerHandle | null): void {
  const h = handle as { unref?: () => void } | null;
  if (h && typeof h.unref === 'function') h.unref();
}
