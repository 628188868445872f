/**
Most new traces the ingress records per second in a run, unless told otherwise: enough for every
request of a typical scenario (100–300 rps), and a bound on what tracing costs at higher rates
(docs/traces.md has the figures).
*/
export const DEFAULT_MAX_TRACES_PER_SECOND = 500;
