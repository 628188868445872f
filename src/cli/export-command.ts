import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { MeshproofError } from '../errors.ts';
import { readMeshFrom } from '../k8s/import/mesh-from-reader.ts';
import { exportScenario } from '../k8s/export/export-scenario.ts';
import { EXPORT_TARGETS, type ExportNote, type Exported, type ExportTarget } from '../k8s/export/exported.ts';
import { validateExport } from '../k8s/export/validate-export.ts';
import { loadScenario } from '../scenario/parse-scenario.ts';

export const EXPORT_USAGE = 'meshproof export istio|gateway-api|linkerd <scenario.yaml> [--out dir]';

/** The exported files as YAML text: resources separated by ---, headed by what the target cannot express. */
export function exportText(exported: Exported, scenarioFile: string): { name: string; text: string }[] {
  return exported.files.map((f) => {
    const head = [
      `# Written by meshproof export ${exported.target} from ${scenarioFile}; validated offline against the Kubernetes, Istio and Gateway API schemas.`,
      ...(f.name !== 'topology.yaml' || exported.files.length === 1 ? noteLines(exported.notes) : []),
    ];
    return { name: f.name, text: `${head.join('\n')}\n${f.resources.map((r) => stringify(r, { lineWidth: 0 })).join('---\n')}` };
  });
}

function noteLines(notes: ExportNote[]): string[] {
  if (notes.length === 0) return ['# Everything in the scenario\'s mesh section is expressed.'];
  return ['# Not expressible here (the cluster will do otherwise):', ...notes.map((n) => `#   ${n.destination}: ${n.key}: ${n.message}`)];
}

/**
`meshproof export <target> <scenario>`: the scenario's mesh section and topology as that mesh's
resources, validated before anything is written; to `--out` (topology.yaml and <target>.yaml) or
stdout. What the target cannot express is printed and written as comments, never dropped.
*/
export async function exportCommand(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string', short: 'o' } } });
  } catch (e) {
    err(`meshproof export: ${(e as Error).message}\nusage: ${EXPORT_USAGE}`);
    return 2;
  }
  const [target, file, ...extra] = parsed.positionals;
  if (!EXPORT_TARGETS.includes(target as ExportTarget) || !file || extra.length > 0) {
    err(`meshproof export: ${target && !EXPORT_TARGETS.includes(target as ExportTarget) ? `unknown target "${target}" (targets: ${EXPORT_TARGETS.join(', ')})` : 'expected a target and one scenario'}\nusage: ${EXPORT_USAGE}`);
    return 2;
  }
  let scenario;
  try {
    scenario = await loadScenario(file, { meshFrom: readMeshFrom, onWarning: (w) => err(`warning: ${w.file}:${w.line}:${w.col} ${w.path ? `${w.path}: ` : ''}${w.message}`) });
  } catch (e) {
    if (e instanceof MeshproofError) {
      err(e.message);
      return 2;
    }
    throw e;
  }
  const exported = exportScenario(scenario, target as ExportTarget);
  const problems = await validateExport(exported);
  if (problems.length > 0) {
    throw new MeshproofError('MESHPROOF_INTERNAL', `the ${target} manifests meshproof wrote for ${file} do not validate (a bug in meshproof; nothing was written):\n  ${problems.join('\n  ')}`);
  }
  for (const n of exported.notes) err(`note: ${n.destination}: ${n.key}: ${n.message}`);
  const files = exportText(exported, file);
  if (parsed.values.out) {
    mkdirSync(parsed.values.out, { recursive: true });
    for (const f of files) writeFileSync(join(parsed.values.out, f.name), f.text);
    err(`meshproof export: wrote ${files.map((f) => join(parsed.values.out!, f.name)).join(' and ')} (${exported.files.reduce((a, f) => a + f.resources.length, 0)} resources, validated; ${exported.notes.length} note${exported.notes.length === 1 ? '' : 's'} on what ${target} cannot express)`);
  } else {
    out(files.map((f) => f.text).join('---\n').trimEnd());
  }
  return 0;
}
