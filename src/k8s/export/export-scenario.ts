import type { Scenario } from '../../scenario/scenario.ts';
import { exportGatewayApiEdges, exportIstioEdges, istioGatewayWorkloads, linkerdEdgeNotes } from './export-edges.ts';
import { exportIstio } from './export-istio.ts';
import { exportGatewayApi, exportLinkerd } from './export-routes.ts';
import { exportTopology } from './export-topology.ts';
import { exportSecurity } from './export-security.ts';
import type { ExportNote, ExportTarget, Exported, Resource } from './exported.ts';

/**
A scenario's mesh section, topology and edges (gateways, externals, the outbound traffic policy) as
manifests for one mesh. Pure: the scenario in, resources
and notes (what the target cannot express) out; validating and writing them is the caller's.
*/
export function exportScenario(scenario: Scenario, target: ExportTarget): Exported {
  const notes: ExportNote[] = [];
  let mesh: Resource[];
  let topology: Resource[];
  const split = new Set(scenario.services.filter((s) => scenario.mesh[s.name]?.split).map((s) => s.name));
  switch (target) {
    case 'istio':
      mesh = [...exportIstio(scenario, notes), ...exportIstioEdges(scenario, notes)];
      topology = [...exportTopology(scenario, target, new Set(), notes), ...istioGatewayWorkloads(scenario)];
      break;
    case 'gateway-api':
      mesh = [...exportGatewayApi(scenario, notes), ...exportGatewayApiEdges(scenario, notes)];
      topology = exportTopology(scenario, target, split, notes);
      break;
    case 'linkerd': {
      const { annotations, routes } = exportLinkerd(scenario, notes);
      linkerdEdgeNotes(scenario, notes);
      mesh = routes;
      topology = exportTopology(scenario, target, split, notes);
      // Linkerd's policy lives on the Service itself.
      for (const r of topology) {
        const a = r.kind === 'Service' ? annotations.get(r.metadata.name) : undefined;
        if (a && Object.keys(a).length > 0) r.metadata.annotations = { ...r.metadata.annotations, ...a };
      }
      break;
    }
  }
  const security = exportSecurity(scenario, target, notes);
  return {
    target,
    files: [
      { name: 'topology.yaml', resources: topology },
      ...(mesh.length > 0 ? [{ name: `${target}.yaml`, resources: mesh }] : []),
      ...(security.length > 0 ? [{ name: 'security.yaml', resources: security }] : []),
    ],
    notes,
  };
}
