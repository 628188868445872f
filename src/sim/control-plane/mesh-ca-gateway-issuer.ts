import { GATEWAY_CERTIFICATE_VALIDITY_MS } from '../../contract/defaults.ts';
import type { GatewayCertificate, GatewayCertificateIssuer } from '../../contract/gateway-certificate.ts';
import { spiffeId } from '../../contract/spiffe.ts';
import type { CertificateAuthority } from '../../security/certificate-authority.ts';

/**
A gateway's serving certificate from the mesh's certificate authority, as istiod signs a gateway's
credential: the gateway's SPIFFE ID and its route hosts as DNS names (wildcards as written, the
gateway's name when its routes name no host), chained to the mesh's root; whoever dials the gateway
(the load balancer in front) trusts the mesh's roots. Issued once per run, valid for
GATEWAY_CERTIFICATE_VALIDITY_MS: not renewed or reissued by a root rotation, so a rotation leaves
the gateway serving under the root it was issued by, which the load balancer keeps trusting.
*/
export class MeshCaGatewayIssuer implements GatewayCertificateIssuer {
  private readonly ca: CertificateAuthority;

  constructor(ca: CertificateAuthority) {
    this.ca = ca;
  }

  async issue(request: { gateway: string; hosts: readonly string[] }): Promise<GatewayCertificate> {
    const hosts = request.hosts.length > 0 ? [...request.hosts] : [request.gateway];
    const cert = await this.ca.issue(spiffeId(this.ca.trustDomain, request.gateway), GATEWAY_CERTIFICATE_VALIDITY_MS, undefined, hosts);
    return { certChain: cert.certChain, key: cert.key, ca: this.ca.trustBundle().join('\n') };
  }
}
