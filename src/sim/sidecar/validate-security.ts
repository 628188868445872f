import { AUTHORIZATION_ACTIONS, MTLS_MODES } from '../../contract/security-policy.ts';
import { isObj, show, type Obj } from './config-value.ts';


const PEM_CERT = /-----BEGIN CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN (EC |RSA )?PRIVATE KEY-----/;

/** Every problem with a pushed `security` block, each with its path; empty when absent or valid. */
export function validateSecurity(v: unknown): string[] {
  const p: string[] = [];
  if (v === undefined) return p;
  if (!isObj(v)) return [`security: expected {trustDomain, identity, trustBundle, mtls, authorization, clockSkewMs}, got ${show(v)}`];
  if (typeof v.trustDomain !== 'string' || v.trustDomain === '') p.push(`security.trustDomain: expected a non-empty string, got ${show(v.trustDomain)}`);
  const id = v.identity;
  if (id !== null) {
    if (!isObj(id)) p.push(`security.identity: expected {spiffeId, certChain, key, notBefore, notAfter, serial, root} or null, got ${show(id)}`);
    else {
      if (typeof id.spiffeId !== 'string' || !id.spiffeId.startsWith('spiffe://')) p.push(`security.identity.spiffeId: expected a spiffe:// URI, got ${show(id.spiffeId)}`);
      if (typeof id.certChain !== 'string' || !PEM_CERT.test(id.certChain)) p.push('security.identity.certChain: expected PEM certificates');
      if (typeof id.key !== 'string' || !PEM_KEY.test(id.key)) p.push('security.identity.key: expected a PEM private key');
      for (const k of ['notBefore', 'notAfter']) if (typeof id[k] !== 'number' || !Number.isFinite(id[k])) p.push(`security.identity.${k}: expected epoch ms, got ${show(id[k])}`);
      if (typeof id.serial !== 'string') p.push(`security.identity.serial: expected a string, got ${show(id.serial)}`);
    }
  }
  if (!Array.isArray(v.trustBundle) || v.trustBundle.some((c) => typeof c !== 'string' || !PEM_CERT.test(c))) p.push('security.trustBundle: expected a list of PEM certificates');
  if (v.trustBundleRoots !== undefined && (!Array.isArray(v.trustBundleRoots) || v.trustBundleRoots.some((r) => typeof r !== 'string'))) {
    p.push(`security.trustBundleRoots: expected a list of fingerprints, got ${show(v.trustBundleRoots)}`);
  }
  if (typeof v.mtls !== 'string' || !(MTLS_MODES as readonly string[]).includes(v.mtls)) p.push(`security.mtls: expected one of ${MTLS_MODES.join(', ')}, got ${show(v.mtls)}`);
  if (v.mtls !== 'DISABLE' && id === null && v.mtls === 'STRICT') p.push('security.mtls: STRICT needs an identity to terminate mutual TLS with (security.identity is null)');
  if (v.clockSkewMs !== undefined && (typeof v.clockSkewMs !== 'number' || !Number.isFinite(v.clockSkewMs))) p.push(`security.clockSkewMs: expected a number, got ${show(v.clockSkewMs)}`);
  if (!Array.isArray(v.authorization)) p.push(`security.authorization: expected a list of policies, got ${show(v.authorization)}`);
  else v.authorization.forEach((pol, i) => policy(`security.authorization[${i}]`, pol, p));
  return p;
}

/** A cluster's `mtls`: absent or null (plaintext), or the identity its endpoints must present. */
export function validateUpstreamTls(at: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!isObj(v) || typeof v.spiffeId !== 'string' || !v.spiffeId.startsWith('spiffe://')) return [`${at}: expected {spiffeId} or null, got ${show(v)}`];
  return [];
}

function strings(at: string, v: unknown, p: string[]): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) p.push(`${at}: expected a list of strings, got ${show(v)}`);
}

function policy(at: string, pol: unknown, p: string[]): void {
  if (!isObj(pol)) return void p.push(`${at}: expected {name, action, rules}, got ${show(pol)}`);
  if (typeof pol.name !== 'string' || pol.name === '') p.push(`${at}.name: expected a non-empty string, got ${show(pol.name)}`);
  if (typeof pol.action !== 'string' || !(AUTHORIZATION_ACTIONS as readonly string[]).includes(pol.action)) p.push(`${at}.action: expected one of ${AUTHORIZATION_ACTIONS.join(', ')}, got ${show(pol.action)}`);
  if (!Array.isArray(pol.rules)) return void p.push(`${at}.rules: expected a list, got ${show(pol.rules)}`);
  pol.rules.forEach((r: unknown, i: number) => {
    const rp = `${at}.rules[${i}]`;
    if (!isObj(r)) return void p.push(`${rp}: expected {from, to, when}, got ${show(r)}`);
    for (const part of ['from', 'to', 'when'] as const) {
      if (!Array.isArray(r[part])) {
        p.push(`${rp}.${part}: expected a list, got ${show(r[part])}`);
        continue;
      }
      (r[part] as unknown[]).forEach((x, j) => {
        const xp = `${rp}.${part}[${j}]`;
        if (!isObj(x)) return void p.push(`${xp}: expected an object, got ${show(x)}`);
        if (part === 'when') {
          if (typeof x.header !== 'string' || x.header === '') p.push(`${xp}.header: expected a header name, got ${show(x.header)}`);
          strings(`${xp}.values`, x.values, p);
        } else if (part === 'from') {
          for (const k of ['services', 'notServices', 'principals', 'notPrincipals']) strings(`${xp}.${k}`, x[k], p);
        } else {
          for (const k of ['methods', 'notMethods', 'paths', 'notPaths']) strings(`${xp}.${k}`, x[k], p);
          for (const k of ['ports', 'notPorts']) {
            const ports = x[k];
            if (ports !== undefined && (!Array.isArray(ports) || ports.some((n) => !Number.isInteger(n) || (n as number) < 1 || (n as number) > 65535))) p.push(`${xp}.${k}: expected a list of ports, got ${show(ports)}`);
          }
        }
      });
    }
  });
}
