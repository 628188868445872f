/** The request paths the bench compares; `traced` is the sidecar pair exporting a span per hop (docs/traces.md). */
export type PathId = 'direct' | 'sidecar' | 'mtls' | 'traced' | 'nginx';

export const PATH_LABELS: Record<PathId, string> = {
  direct: 'direct',
  sidecar: 'sidecar pair',
  mtls: 'sidecar pair, mTLS',
  traced: 'sidecar pair, traced',
  nginx: 'nginx pair',
};

/** A request path that is up and answering. */
export interface StartedPath {
  id: PathId;
  /** Where the load generator sends its requests. */
  url: string;
  /** Host header to send (the destination service, for a mesh sidecar's outbound listener). */
  host?: string;
  /** The proxy processes whose CPU and memory are this path's cost, descendants included; empty for direct. */
  proxyPids(): number[];
  /** What runs, for the report: versions, process counts. */
  describe: string;
  /** The callee sidecar's inbound port (a sidecar pair), for measuring handshakes on their own. */
  calleeInbound?: number;
}

/** A path that could not be measured here, and why (shown in the table instead of figures). */
export interface UnavailablePath {
  id: PathId;
  reason: string;
  /** True when this is a failure of the thing under test rather than something not installed. */
  failed: boolean;
}
