/**
Where a TLS-terminating gateway's certificate comes from: the control plane asks for one per
gateway, for the names its routes serve, and pushes the chain and key to the gateway's replicas and
the roots to whoever dials it. With security the mesh's certificate authority issues it
(src/sim/control-plane/mesh-ca-gateway-issuer.ts, as istiod signs the gateway's credential);
without, a self-signed root made for the run (self-signed-issuer.ts).
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
