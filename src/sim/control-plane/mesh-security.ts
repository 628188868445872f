import { CertificateAuthority, type IssuedCertificate } from '../../security/certificate-authority.ts';
import { spiffeId } from '../../contract/spiffe.ts';
import type { Scenario, SecuritySpec } from '../../scenario/scenario.ts';
import type { MtlsMode } from '../../contract/security-policy.ts';
import { serviceNamed } from '../../scenario/scenario-index.ts';
import type { SidecarSecurity, UpstreamTls } from '../../contract/sidecar-config.ts';

/** The pods the control plane issues identities to: every instance and the ingress. */
export interface IdentityHolder {
  instance: string;
  service: string;
}

/**
The control plane's side of security, as istiod's: the CA, every pod's current certificate and when
it is due for renewal, the PeerAuthentication in force (the scenario's, and any fault's switch), and
what the security faults change: an instance whose certificate is let run out, a clock off, a root
being rotated. Pure state with async issuance; the control plane pushes what it says.
*/
export class MeshSecurity {
  readonly spec: SecuritySpec;
  readonly ca: CertificateAuthority;
  private readonly scenario: Scenario;
  private readonly now: () => number;
  private readonly certs = new Map<string, IssuedCertificate>();
  /** When each pod's certificate was issued (epoch ms), for renewal at `renewAt` of its life. */
  private readonly issuedAt = new Map<string, number>();
  private readonly holders = new Map<string, IdentityHolder>();
  /** Instances whose certificate is let run out (certExpire), by fault name. */
  private readonly expiring = new Map<string, string>();
  private readonly skews = new Map<string, { instance: string; offsetMs: number }>();
  /** Mode switches in force, by fault name, in the order they started (a later one wins). */
  private readonly modes = new Map<string, { service: string | null; mode: MtlsMode }>();
  /** Pods without an identity: the ingress when the load is an outside client. */
  private readonly plaintext = new Set<string>();

  private constructor(scenario: Scenario, spec: SecuritySpec, ca: CertificateAuthority, now: () => number) {
    this.scenario = scenario;
    this.spec = spec;
    this.ca = ca;
    this.now = now;
  }

  static async create(scenario: Scenario, spec: SecuritySpec, now: () => number = Date.now): Promise<MeshSecurity> {
    const ca = await CertificateAuthority.create({ trustDomain: spec.trustDomain, now, root: spec.rootCA && { cert: spec.rootCA.cert, key: spec.rootCA.key } });
    return new MeshSecurity(scenario, spec, ca, now);
  }

  /** Issues every pod its first certificate (the ingress none when the load is an outside client). */
  async issueAll(pods: IdentityHolder[]): Promise<void> {
    for (const p of pods) {
      this.holders.set(p.instance, p);
      if (p.service === 'client' && this.scenario.load.plaintext) this.plaintext.add(p.instance);
    }
    await Promise.all(pods.filter((p) => !this.plaintext.has(p.instance)).map((p) => this.reissue(p.instance)));
  }

  /** A fresh certificate for one pod, under the current root. */
  async reissue(instance: string): Promise<IssuedCertificate> {
    const holder = this.holders.get(instance)!;
    const cert = await this.ca.issue(spiffeId(this.spec.trustDomain, holder.service), this.spec.certTtlMs);
    this.certs.set(instance, cert);
    this.issuedAt.set(instance, this.now());
    return cert;
  }

  /** Pods whose certificate is due (past `renewAt` of its life), except those let run out. */
  due(): string[] {
    const now = this.now();
    return [...this.issuedAt].filter(([instance, at]) => !this.isExpiring(instance) && now >= at + this.spec.certTtlMs * this.spec.renewAt).map(([i]) => i);
  }

  /** Epoch ms of the next renewal, or null when none is coming. */
  nextRenewal(): number | null {
    let next: number | null = null;
    for (const [instance, at] of this.issuedAt) {
      if (this.isExpiring(instance)) continue;
      const due = at + this.spec.certTtlMs * this.spec.renewAt;
      if (next === null || due < next) next = due;
    }
    return next;
  }

  /** certExpire: the instance's certificate stops being renewed and is run out now (start); a fresh one at the end. */
  async expire(fault: string, instance: string, on: boolean): Promise<IssuedCertificate | null> {
    if (on) {
      this.expiring.set(fault, instance);
      const now = this.now();
      const holder = this.holders.get(instance)!;
      // The certificate it would hold had its renewals stopped: its life is over as of now.
      const cert = await this.ca.issue(spiffeId(this.spec.trustDomain, holder.service), this.spec.certTtlMs, { notBefore: now - this.spec.certTtlMs, notAfter: now - 1000 });
      this.certs.set(instance, cert);
      this.issuedAt.set(instance, now);
      return cert;
    }
    this.expiring.delete(fault);
    return this.isExpiring(instance) ? null : this.reissue(instance);
  }

  private isExpiring(instance: string): boolean {
    for (const i of this.expiring.values()) if (i === instance) return true;
    return false;
  }

  setSkew(fault: string, target: { instance: string; offsetMs: number } | null): void {
    if (target) this.skews.set(fault, target);
    else this.skews.delete(fault);
  }

  setMode(fault: string, target: { service: string | null; mode: MtlsMode } | null): void {
    if (target) this.modes.set(fault, target);
    else this.modes.delete(fault);
  }

  /** The mode a service's inbound has now: a fault's switch on it, else one mesh-wide, else its own setting, else the mesh's. */
  modeOf(service: string): MtlsMode {
    let own: MtlsMode | null = null;
    let mesh: MtlsMode | null = null;
    for (const m of this.modes.values()) {
      if (m.service === service) own = m.mode;
      else if (m.service === null) mesh = m.mode;
    }
    if (own) return own;
    const spec = serviceNamed(this.scenario, service);
    // A service's own PeerAuthentication is narrower than a mesh-wide switch, and wins over it, as in Istio.
    return spec?.mtls ?? mesh ?? this.spec.mtls;
  }

  /** Every pod that holds an identity. */
  holdersWithIdentity(): string[] {
    return [...this.certs.keys()];
  }

  /** The security block of one pod's config. */
  podSecurity(pod: IdentityHolder): SidecarSecurity {
    const cert = this.certs.get(pod.instance) ?? null;
    let skew = 0;
    for (const s of this.skews.values()) if (s.instance === pod.instance) skew = s.offsetMs;
    const spec = serviceNamed(this.scenario, pod.service);
    return {
      trustDomain: this.spec.trustDomain,
      identity: cert && { spiffeId: cert.spiffeId, certChain: cert.certChain, key: cert.key, notBefore: cert.notBefore, notAfter: cert.notAfter, serial: cert.serial, root: cert.root },
      trustBundle: this.ca.trustBundle(),
      trustBundleRoots: this.ca.trustBundleFingerprints(),
      // The ingress receives nothing; it needs no mode of its own.
      mtls: pod.service === 'client' ? (cert ? 'PERMISSIVE' : 'DISABLE') : this.modeOf(pod.service),
      authorization: spec?.authorization ?? [],
      clockSkewMs: skew,
    };
  }

  /** Auto mTLS: a caller with an identity speaks mutual TLS to a destination unless its mode is DISABLE, verifying it is that service. */
  upstreamTls(caller: IdentityHolder, destination: string): UpstreamTls | null {
    if (!this.certs.has(caller.instance) || this.modeOf(destination) === 'DISABLE') return null;
    return { spiffeId: spiffeId(this.spec.trustDomain, destination) };
  }
}
