import { dirname } from 'node:path';
import type { MeshFromReader, MeshFromResult } from '../../scenario/mesh-from.ts';
import { importManifests } from './import-manifests.ts';
import { readManifests } from './read-manifests.ts';

/**
`mesh.from` for the scenario parser: reads the manifests the patterns name (relative to the scenario
file) and maps them as `meshproof import` does. Only the mesh section is taken: the scenario's own
`services` are the topology, and Deployments and Services only tell which version a per-version
Service is.
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
  for (const [name, d] of draft.destinations) mesh[name] = d;
  const security = { services: Object.fromEntries(draft.security.services), mesh: draft.security.mesh, sources: draft.security.sources };
  return { files: read.files, mesh, sources, issues: [...read.unmatched, ...read.issues, ...draft.errors], warnings: draft.warnings, security };
};
