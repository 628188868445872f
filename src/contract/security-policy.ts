/**
The mesh's security policies, as the normalised scenario states them and the control plane hands
them to each sidecar (contract/sidecar-config.ts): the PeerAuthentication mode an inbound listener
accepts, and the authorization policies (Istio's AuthorizationPolicy) on requests into a service.
*/

/**
PeerAuthentication modes, as Istio names them: STRICT (mutual TLS only; a plaintext connection is
refused), PERMISSIVE (mutual TLS or plaintext on the same port), DISABLE (plaintext only).
*/
export const MTLS_MODES = ['STRICT', 'PERMISSIVE', 'DISABLE'] as const;

/** PeerAuthentication mode (Istio's names). */
export type MtlsMode = (typeof MTLS_MODES)[number];

/** Authorization policy actions (Istio's AuthorizationPolicy, without CUSTOM: meshproof has no external authorizer). */
export const AUTHORIZATION_ACTIONS = ['ALLOW', 'DENY', 'AUDIT'] as const;

/**
An authorization policy (Istio's AuthorizationPolicy, on one service): DENY policies are checked
first, then ALLOW ones; AUDIT only marks what it matches. A policy matches when any of its rules
does; a policy with no rules never matches (so an ALLOW without rules allows nothing).
*/
export interface AuthorizationPolicy {
  /** Names the policy in logs, events and reports. Default `<service>-<action>-<index>`. */
  name: string;
  action: (typeof AUTHORIZATION_ACTIONS)[number];
  rules: AuthorizationRule[];
}

/** A rule matches when one of its sources, one of its operations and every condition match; an empty list matches anything. */
export interface AuthorizationRule {
  from: AuthorizationSource[];
  to: AuthorizationOperation[];
  when: AuthorizationCondition[];
}

/**
Who sends the request, by the identity its mutual TLS certificate proves; a plaintext request has
none. Fields are ANDed, values of one field ORed; an absent field matches anything.
*/
export interface AuthorizationSource {
  /** Calling services (their SPIFFE identity in this trust domain). */
  services?: string[];
  notServices?: string[];
  /** Identities as Istio writes them (`cluster.local/ns/default/sa/checkout`), with `*` prefix/suffix forms. */
  principals?: string[];
  notPrincipals?: string[];
}

/** What the request does. Paths take Istio's exact, `prefix*`, `*suffix` and `*` (present) forms; ports are the workload's. */
export interface AuthorizationOperation {
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
  ports?: number[];
  notPorts?: number[];
}

/** A request header (name lower-case) that must have one of `values` (Istio's `request.headers[name]`). */
export interface AuthorizationCondition {
  header: string;
  values: string[];
}
