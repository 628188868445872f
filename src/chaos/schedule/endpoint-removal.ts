/**
How long after an app dies the control plane removes it from the endpoints, unless told otherwise:
the time a Kubernetes readiness probe takes to notice. Its own module so that `explain` can state
it without loading the fault runner.
*/
export const DEFAULT_ENDPOINT_REMOVAL_DELAY_MS = 1000;
