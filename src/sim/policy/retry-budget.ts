import type { RetryBudget as RetryBudgetSpec } from '../../contract/mesh-policy.ts';

/**
Envoy's retry budget (`circuit_breakers.thresholds.retry_budget`): retries are a cluster-wide
resource. A retry may start only while the retries already active are fewer than
max(min_retry_concurrency, budget_percent × active requests); otherwise it overflows
(`upstream_rq_retry_overflow`) and the caller gets the last answer. Pure: the caller keeps the counts.
*/
export class RetryBudget {
  /** Fraction in [0, 1] (the scenario's percentages are fractions). */
  readonly percent: number;
  readonly minRetryConcurrency: number;

  constructor(spec: RetryBudgetSpec) {
    this.percent = spec.percent;
    this.minRetryConcurrency = spec.minRetryConcurrency;
  }

  /**
  Most retries that may be active at once while `activeRequests` requests are in flight to the
  cluster. Envoy truncates the product to an integer; the epsilon keeps 0.29 × 100 at 29.
  */
  limit(activeRequests: number): number {
    return Math.max(this.minRetryConcurrency, Math.floor(this.percent * activeRequests + 1e-9));
  }

  /** Whether one more retry may start now. */
  allows(activeRetries: number, activeRequests: number): boolean {
    return activeRetries < this.limit(activeRequests);
  }
}
