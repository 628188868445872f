/**
Workload identities as Istio writes them: a SPIFFE ID `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`
in the certificate's one URI SAN. meshproof runs every service in namespace `default` under a
service account named after the service, so the ID is a function of the service name.
*/

/** The namespace every meshproof workload lives in (Kubernetes' default, and the export's). */
export const NAMESPACE = 'default';

const PREFIX = 'spiffe://';

/** `spiffe://cluster.local/ns/default/sa/payments`. */
export function spiffeId(trustDomain: string, service: string): string {
  return `${PREFIX}${trustDomain}/ns/${NAMESPACE}/sa/${service}`;
}

/** The form authorization policies write (Istio's `principals` drop the `spiffe://` prefix): `cluster.local/ns/default/sa/payments`. */
export function principalOf(id: string): string {
  return id.startsWith(PREFIX) ? id.slice(PREFIX.length) : id;
}

/** A principal `cluster.local/ns/default/sa/payments` back to its SPIFFE ID. */
export function spiffeIdOfPrincipal(principal: string): string {
  return principal.startsWith(PREFIX) ? principal : PREFIX + principal;
}

/** The parts of a SPIFFE ID in Istio's form, or null when it is not one. */
export function parseSpiffeId(id: string): { trustDomain: string; namespace: string; serviceAccount: string } | null {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(id);
  return m ? { trustDomain: m[1], namespace: m[2], serviceAccount: m[3] } : null;
}

/** The service a SPIFFE ID (or principal) names in this trust domain, or null when it is another domain's or not Istio's form. */
export function serviceOfIdentity(idOrPrincipal: string, trustDomain: string): string | null {
  const p = parseSpiffeId(spiffeIdOfPrincipal(idOrPrincipal));
  return p && p.trustDomain === trustDomain && p.namespace === NAMESPACE ? p.serviceAccount : null;
}
