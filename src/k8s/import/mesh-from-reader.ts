import { dirname } from 'node:path';
import type { MeshFromReader, MeshFromResult } from '../../scenario/mesh-from.ts';
import { importManifests } from './import-manifests.ts';
import { readManifests } from './read-manifests.ts';

/**
`mesh.from` for the scenario parser: reads the manifests the patterns name (relative to the scenario
file) and maps them as `meshproof import` does. Only the mesh section is taken (with the outbound
traffic policy): the scenario's own `services`, `gateways` and `external` are the topology, and
Deployments and Services only tell which version a per-version Service is; a gateway or external
the manifests declare is checked against the scenario's by name.
*/
export const readMeshFrom: MeshFromReader = (patterns, scenarioFile): MeshFromResult => {
  const read = readManifests(patterns, dirname(scenarioFile));
  const draft = importManifests(read.manifests);
  const mesh: Record<string, unknown> = {};
  const sources = { ...draft.sources };
  if (draft.profile) {
    mesh.profile = draft.profile.value;
    sources.profile = draft.profile.source;
  }
  if (draft.outboundTrafficPolicy) {
    mesh.outboundTrafficPolicy = draft.outboundTrafficPolicy.value;
    sources.outboundTrafficPolicy = draft.outboundTrafficPolicy.source;
  }
  for (const [name, d] of draft.destinations) mesh[name] = d;
  const security = { services: Object.fromEntries(draft.security.services), mesh: draft.security.mesh, sources: draft.security.sources };
  const edges = { gateways: [...draft.gateways.values()].map((g) => ({ name: g.name, source: g.source })), externals: [...draft.externals.values()] };
  return { files: read.files, mesh, sources, issues: [...read.unmatched, ...read.issues, ...draft.errors], warnings: draft.warnings, security, edges };
};
