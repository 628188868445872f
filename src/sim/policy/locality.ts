/**
Envoy's priority levels, as meshproof uses them for locality: priority 0 holds the endpoints in
the caller's zone, priority 1 all the others (source/common/upstream/load_balancer_impl.cc,
`recalculatePerPriorityState`, `recalculatePerPriorityPanic`, `recalculateLoadInTotalPanic`).

For each priority, health = min(100, ⌊overprovisioning × 100 × healthy / hosts⌋) in whole
percent (overprovisioning 1.4 by default, so a priority counts as fully available down to ~72%
healthy). The normalized total is min(100, Σ health). Priority 0 takes
min(100, ⌊100 × health₀ / total⌋) percent of the traffic and priority 1 the rest, up to its own
share; rounding leftovers go to the first priority with any health. So with 10 local hosts of which
5 are healthy, P0 health = 70 and P0 takes 70% while 30% spills to the other zones.

Panic: when the normalized total is 100 no priority panics. Below that, a priority whose healthy
share is under the panic threshold balances over all its hosts, healthy or not; when every
priority panics, traffic is split by host counts instead. With a threshold of 0 and no healthy
host anywhere nothing panics and requests fail (503 UH), as in Istio.
*/
export interface PriorityCounts {
  healthy: number;
  total: number;
}

export interface PriorityPlan {
  /** Percent of requests to priority 0 (the rest to priority 1), an integer in [0, 100]. */
  p0Load: number;
  /** Whether each priority balances over all of its hosts (panic) instead of its healthy ones. */
  panic0: boolean;
  panic1: boolean;
  /** Envoy's health of each priority, whole percent, and their capped sum. */
  health0: number;
  health1: number;
  normalizedTotal: number;
}

function health(p: PriorityCounts, factorPercent: number): number {
  if (p.total <= 0) return 0;
  return Math.min(100, Math.floor((factorPercent * p.healthy) / p.total));
}

function inPanic(p: PriorityCounts, thresholdPercent: number): boolean {
  const healthyPercent = p.total === 0 ? 0 : (100 * p.healthy) / p.total;
  return healthyPercent < thresholdPercent;
}

/**
The load split between the two priorities and their panic state. `overprovisioningFactor` and
`panicThreshold` are the scenario's (1.4, 0.5): Envoy's integers are 140 and 50.
*/
export function planPriorities(p0: PriorityCounts, p1: PriorityCounts, overprovisioningFactor: number, panicThreshold: number): PriorityPlan {
  const factor = Math.round(overprovisioningFactor * 100);
  const threshold = Math.min(100, Math.round(panicThreshold * 100 * 1e6) / 1e6);
  const h0 = health(p0, factor);
  const h1 = health(p1, factor);
  const total = Math.min(100, h0 + h1);
  let p0Load = 100;
  if (total > 0) {
    p0Load = Math.min(100, Math.floor((h0 * 100) / total));
    let rest = 100 - p0Load;
    const p1Load = Math.min(rest, Math.floor((h1 * 100) / total));
    rest -= p1Load;
    // Rounding leftovers go to the first priority with any health.
    if (rest > 0 && h0 > 0) p0Load += rest;
  }
  const plan: PriorityPlan = { p0Load, panic0: false, panic1: false, health0: h0, health1: h1, normalizedTotal: total };
  if (threshold === 0 && total === 0) return plan;
  if (total < 100) {
    plan.panic0 = inPanic(p0, threshold);
    plan.panic1 = inPanic(p1, threshold);
    if (plan.panic0 && plan.panic1) {
      // Total panic: split by host counts, healthy or not.
      const hosts = p0.total + p1.total;
      if (hosts === 0) plan.p0Load = 100;
      else {
        const l0 = Math.floor((100 * p0.total) / hosts);
        const l1 = Math.floor((100 * p1.total) / hosts);
        // The rounding leftover goes to the first priority that has hosts.
        plan.p0Load = p0.total > 0 ? 100 - l1 : l0;
      }
    }
  }
  return plan;
}
