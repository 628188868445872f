import { formatDuration, formatPercent } from '../../util/format.ts';
import type { RunResult } from '../run-result.ts';
import { policyText, securitySummary } from '../security-summary.ts';
import { escapeHtml } from './escape.ts';

/**
The run's security in report.html: each service's identity, the mTLS mode it ran with and its
authorization policies with what its inbound saw; each edge's share of mutual TLS, denials and
failed handshakes; who was denied by which policy and why handshakes failed. Empty for a result
without security.
*/
export function securitySection(result: RunResult): string {
  const s = securitySummary(result);
  if (!s) return '';
  const share = (n: number, of: number) => (of === 0 ? '—' : formatPercent(n / of));
  const root = s.root ? `root CA from <code>${escapeHtml(s.root.certFile)}</code> (an intermediate under it signed the workloads)` : 'a self-signed root made for the run';
  const parts = [
    `<section id="security"><h2>Security</h2><p class="muted">Trust domain <code>${escapeHtml(s.trustDomain)}</code>, mesh-wide mTLS <code>${s.meshMode}</code>, certificates of ${escapeHtml(formatDuration(s.certTtlMs))} (${s.certificates.issued} issued, ${s.certificates.rotated} renewed or reissued${s.certificates.roots.length > 1 ? `, under ${s.certificates.roots.length} roots` : ''}); ${root}.${s.plaintextLoad ? ' The load was an outside client, in plaintext.' : ''}</p>`,
    '<table class="security"><thead><tr><th>Service</th><th>Identity</th><th>mTLS mode</th><th class="num">In over mTLS</th><th class="num">Denied</th><th class="num">Failed handshakes</th><th>Authorization</th></tr></thead><tbody>',
  ];
  for (const x of s.services) {
    const policies = x.policies.length ? x.policies.map((p) => escapeHtml(policyText(p))).join('<br>') : '<span class="muted">none: every request allowed</span>';
    parts.push(
      `<tr><td>${escapeHtml(x.service)}</td><td><code>${escapeHtml(x.spiffeId)}</code></td><td>${x.mode}${x.ownMode ? '' : ' <span class="muted">(mesh)</span>'}</td>` +
        `<td class="num">${share(x.mtls, x.requests)}</td><td class="num">${x.denied}</td><td class="num">${x.handshakeErrors}</td><td>${policies}</td></tr>`,
    );
  }
  parts.push('</tbody></table>');
  parts.push('<table class="security"><thead><tr><th>Edge</th><th class="num">Requests</th><th class="num">Over mTLS</th><th class="num">Denied</th><th class="num">Failed handshakes</th></tr></thead><tbody>');
  for (const e of s.edges) {
    parts.push(`<tr><td>${escapeHtml(`${e.from} → ${e.to}`)}</td><td class="num">${e.requests}</td><td class="num">${share(e.mtls, e.requests)}</td><td class="num">${e.denied}</td><td class="num">${e.handshakeErrors}</td></tr>`);
  }
  parts.push('</tbody></table>');
  if (s.denials.length) {
    parts.push('<h3>Denied, by the policy that decided</h3><ul>');
    for (const d of s.denials.slice(0, 20)) {
      parts.push(`<li>${d.count} at ${escapeHtml(d.instance)} from ${d.source === null ? 'a plaintext caller' : `<code>${escapeHtml(d.source)}</code>`}: <code>${escapeHtml(d.policy === 'none' ? 'no ALLOW policy matched' : d.policy)}</code></li>`);
    }
    parts.push('</ul>');
  }
  if (s.handshakeFailures.length) {
    parts.push('<h3>Failed handshakes, by why</h3><ul>');
    for (const f of s.handshakeFailures.slice(0, 20)) {
      const where = f.toward === null ? `into ${escapeHtml(f.instance)}` : `from ${escapeHtml(f.instance)} to ${escapeHtml(f.toward)}`;
      parts.push(`<li>${f.count} ${where}: <code>${escapeHtml(f.reason)}</code> (ssl.${escapeHtml(f.kind)})</li>`);
    }
    parts.push('</ul>');
  }
  parts.push('</section>');
  return parts.join('');
}
