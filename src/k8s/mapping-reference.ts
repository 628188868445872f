import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WARN_PREFIX, type FieldRule, type FieldTable } from './import/field-rules.ts';
import { GATEWAY, GATEWAY_API_OTHER_KINDS, HTTP_ROUTE } from './import/gateway-api.ts';
import { DESTINATION_RULE, ISTIO_OTHER_KINDS, VIRTUAL_SERVICE } from './import/istio.ts';
import { ISTIO_GATEWAY, SERVICE_ENTRY, SIDECAR } from './import/istio-edges.ts';
import { LINKERD_ANNOTATIONS, LINKERD_OTHER_KINDS } from './import/linkerd.ts';
import { AUTHORIZATION_POLICY, PEER_AUTHENTICATION } from './import/istio-security.ts';

export const MAPPING_DOC = fileURLToPath(new URL('../../docs/import-export.md', import.meta.url));
const START = '<!-- mapping:start (generated from src/k8s/import by npm run schema; do not edit) -->';
const END = '<!-- mapping:end -->';

function cell(rule: FieldRule): string {
  if ('none' in rule) return `no effect: ${rule.none}`;
  if ('warn' in rule) return `warned (${WARN_PREFIX[rule.warn]}): ${rule.why}`;
  return rule.note ? `\`${rule.to}\` — ${rule.note}` : `\`${rule.to}\``;
}

function rows(table: FieldTable, prefix: string): string[] {
  const out: string[] = [];
  for (const [key, rule] of Object.entries(table)) {
    const path = `${prefix}${key}`;
    out.push(`| \`${path}\` | ${cell(rule).replace(/\|/g, '\\|')} |`);
    if ('fields' in rule && rule.fields) out.push(...rows(rule.fields, `${path}.`));
    if ('items' in rule && rule.items) out.push(...rows(rule.items, `${path}[].`));
  }
  return out;
}

function kinds(mesh: string, table: Record<string, { warn: string; why: string }>): string[] {
  return Object.entries(table).map(([kind, r]) => `| ${mesh} ${kind} | ${r.warn === 'none' ? 'no effect' : `warned (${WARN_PREFIX[r.warn as 'later' | 'never']})`}: ${r.why} |`);
}

/** The mapping tables: every field meshproof reads from each resource, to the meshproof key or with the reason it is warned. */
export function mappingReference(): string {
  const table = (title: string, head: string, lines: string[]) => [`### ${title}`, '', `| ${head} | meshproof |`, '|---|---|', ...lines, ''];
  return [
    ...table('Istio DestinationRule (networking.istio.io v1, v1beta1, v1alpha3)', 'field', rows(DESTINATION_RULE, 'spec.')),
    ...table('Istio VirtualService', 'field', rows(VIRTUAL_SERVICE, 'spec.')),
    ...table('Istio Gateway', 'field', rows(ISTIO_GATEWAY, 'spec.')),
    ...table('Istio ServiceEntry', 'field', rows(SERVICE_ENTRY, 'spec.')),
    ...table('Istio Sidecar', 'field', rows(SIDECAR, 'spec.')),
    ...table('Istio PeerAuthentication (security.istio.io v1, v1beta1)', 'field', rows(PEER_AUTHENTICATION, 'spec.')),
    ...table('Istio AuthorizationPolicy (security.istio.io v1, v1beta1)', 'field', rows(AUTHORIZATION_POLICY, 'spec.')),
    ...table('Gateway API HTTPRoute (gateway.networking.k8s.io v1; Linkerd\'s policy.linkerd.io copy)', 'field', rows(HTTP_ROUTE, 'spec.')),
    ...table('Gateway API Gateway', 'field', rows(GATEWAY, 'spec.')),
    ...table('Linkerd annotations (on a Service, or on an HTTPRoute whose parent is a Service)', 'annotation', rows(LINKERD_ANNOTATIONS, '')),
    ...table('Other kinds', 'kind', [...kinds('Istio', ISTIO_OTHER_KINDS), ...kinds('Gateway API', GATEWAY_API_OTHER_KINDS), ...kinds('Linkerd', LINKERD_OTHER_KINDS)]),
  ].join('\n');
}

export function withMappingReference(doc: string): string {
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${MAPPING_DOC} has no ${START} … ${END} markers`);
  return `${doc.slice(0, a + START.length)}\n${mappingReference()}${doc.slice(b)}`;
}

if (import.meta.main) {
  writeFileSync(MAPPING_DOC, withMappingReference(readFileSync(MAPPING_DOC, 'utf8')));
  console.log(`updated the generated mapping tables in ${MAPPING_DOC}`);
}
