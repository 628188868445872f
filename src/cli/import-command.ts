import { writeFileSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatIssues, type ScenarioIssue } from '../errors.ts';
import { importManifests } from '../k8s/import/import-manifests.ts';
import { readMeshFrom } from '../k8s/import/mesh-from-reader.ts';
import { readManifests } from '../k8s/import/read-manifests.ts';
import { writeSkeleton } from '../k8s/import/write-skeleton.ts';
import { parseScenario } from '../scenario/parse-scenario.ts';

export const IMPORT_USAGE = 'meshproof import <files or folders>... [--out scenario.yaml] [--name <name>]';

/**
`meshproof import`: Kubernetes manifests in, a scenario skeleton out (on stdout, or to `--out`).
Every warning is printed with its position; an error in a manifest writes nothing and exits 2.
The skeleton is parsed before it is written, so what is written validates, or the exit code says not.
*/
export function importCommand(args: string[], out: (s: string) => void, err: (s: string) => void): number {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string', short: 'o' }, name: { type: 'string' } } });
  } catch (e) {
    err(`meshproof import: ${(e as Error).message}\nusage: ${IMPORT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) {
    err(`meshproof import: no manifests given\nusage: ${IMPORT_USAGE}`);
    return 2;
  }
  const read = readManifests(positionals, '.');
  const problems: ScenarioIssue[] = [...read.issues];
  for (const u of read.unmatched) err(`meshproof import: ${u.message}`);
  if (read.unmatched.length > 0) return 2;
  const draft = importManifests(read.manifests);
  problems.push(...draft.errors);
  const warn = (w: ScenarioIssue) => err(`warning: ${w.file}:${w.line}:${w.col} ${w.path ? `${w.path}: ` : ''}${w.message}`);
  draft.warnings.forEach(warn);
  if (problems.length > 0) {
    err(formatIssues(problems).replace(/^\d+ problems? in [^:]*:/, `meshproof import: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the manifests, nothing written:`));
    return 2;
  }
  const outFile = values.out;
  const name = values.name ?? (outFile ? basename(outFile).replace(/\.ya?ml$/, '') : 'imported');
  const text = writeSkeleton(draft, { name: scenarioName(name), inputs: positionals });
  const check = parseScenario(text, outFile ?? '(stdout)', { meshFrom: readMeshFrom });
  if (outFile) writeFileSync(outFile, text);
  else out(text.trimEnd());
  const where = outFile ? relative('.', resolve(outFile)) : 'stdout';
  err(
    `meshproof import: ${read.manifests.length} resources from ${read.files.length} file${read.files.length === 1 ? '' : 's'} → ${where}: ` +
      `${new Set([...draft.services.keys(), ...draft.destinations.keys()]).size} services, ${draft.destinations.size} destinations with policies, ${draft.warnings.length} warning${draft.warnings.length === 1 ? '' : 's'} (listed at the end of the file)`,
  );
  if (check.issues.length > 0) {
    err(`meshproof import: the skeleton does not validate yet; fix these in ${where}:\n${formatIssues(check.issues)}`);
    return 2;
  }
  return 0;
}

function scenarioName(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'imported';
}
