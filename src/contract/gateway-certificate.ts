/**
Where a TLS-terminating gateway's certificate comes from: the control plane asks for one per
gateway, for the names its routes serve, and pushes the chain and key to the gateway's replicas and
the roots to whoever dials it. meshproof's own issuer is a self-signed root made for the run
(src/sim/control-plane/self-signed-issuer.ts); the mesh's certificate authority, once there is one,
plugs in here in its place (as istiod signs the gateway's credential in Istio).
*/
export interface GatewayCertificateIssuer {
  issue(request: { gateway: string; hosts: readonly string[] }): Promise<GatewayCertificate>;
}

export interface GatewayCertificate {
  /** The leaf first, then any intermediate (PEM). */
  certChain: string;
  /** PKCS #8 PEM. */
  key: string;
  /** The root(s) a client verifies the chain against (PEM). */
  ca: string;
}
